// @ts-check

/**
 * What builders recorded about a base, read once: the base an image's
 * provenance attestation names (per image manifest digest, immutable), and
 * the last read of each Dockerfile with its ETag, so an unchanged Dockerfile
 * is not downloaded or parsed again (also after a restart).
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('image_provenance', table => {
    table.comment(
      'The base found in the provenance attestation of an image manifest (or why none was); a digest never changes, so it is read once',
    );
    table
      .string('digest', 128)
      .primary()
      .notNullable()
      .comment('The image manifest digest the attestation is about');
    table
      .text('outcome')
      .notNullable()
      .comment(
        'JSON: the base found, or why none was (no attestation, cannot tell, malformed, too large)',
      );
    table.dateTime('read_at').notNullable();
  });
  await knex.schema.createTable('dockerfile_reads', table => {
    table.comment(
      'The last successful read of each Dockerfile: its ETag and what it was parsed into, re-read only when the source host says it changed',
    );
    table.string('url', 1024).primary().notNullable();
    table.string('etag', 512).nullable();
    table
      .text('content')
      .notNullable()
      .comment('The Dockerfile text, parsed again per platform (TARGET* ARGs)');
    table.dateTime('read_at').notNullable();
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('dockerfile_reads');
  await knex.schema.dropTable('image_provenance');
};
