// @ts-check

/**
 * Repository scans (tags kept per repository and filter, with the last scan's
 * status) and vulnerability summaries per digest.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('repository_scans', table => {
    table.comment(
      'The last good tag scan of a repository under one filter, with the status of the last attempt',
    );
    table
      .string('repository', 512)
      .notNullable()
      .comment('registry/repository, normalised');
    table
      .string('scan_key', 64)
      .notNullable()
      .comment('Stable identity of the filter, sort and limit');
    table.string('source', 32).notNullable().comment('config or base-image');
    table
      .text('settings')
      .notNullable()
      .comment('JSON: sort, include, exclude, limit, constraint');
    table.dateTime('last_scan_time').nullable();
    table.dateTime('last_success_time').nullable();
    table
      .string('last_scan_status', 16)
      .notNullable()
      .comment('Success or Failed');
    table.text('message').nullable();
    table
      .text('error')
      .nullable()
      .comment('The last error (JSON: class, message, advice, at)');
    table
      .integer('tag_count')
      .nullable()
      .comment('Tags listed by the last good scan');
    table
      .text('images')
      .notNullable()
      .comment(
        'JSON: [{tag, digest, size, created, mediaType, error}], best first',
      );
    table.primary(['repository', 'scan_key']);
  });
  await knex.schema.createTable('vulnerability_summaries', table => {
    table.comment(
      'Vulnerability counts per severity of an image digest (Trivy), with the last attempt and its error',
    );
    table.string('digest', 128).primary().notNullable();
    table
      .string('reference', 1024)
      .notNullable()
      .comment('The reference scanned, registry/repository@digest');
    table.text('counts').nullable().comment('JSON: {SEVERITY: count}');
    table.integer('total').nullable();
    table.string('scanner', 128).nullable().comment('The Trivy version');
    table
      .dateTime('scanned_at')
      .nullable()
      .comment('When the counts were taken');
    table.dateTime('last_attempt_at').notNullable();
    table
      .text('error')
      .nullable()
      .comment(
        'Why the last attempt gave no counts (JSON: class, message, at)',
      );
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('vulnerability_summaries');
  await knex.schema.dropTable('repository_scans');
};
