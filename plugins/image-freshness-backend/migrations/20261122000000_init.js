// @ts-check

/**
 * The first schema: tag answers, digest-keyed metadata, and per-entity containers.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('tag_digests', table => {
    table.comment('What a reference (tag) pointed at when last asked');
    table.string('reference', 512).primary().notNullable();
    table.string('digest', 128).notNullable();
    table.dateTime('resolved_at').notNullable();
    table.dateTime('expires_at').notNullable();
  });
  await knex.schema.createTable('image_metadata', table => {
    table.comment(
      'Immutable metadata, keyed by the digest a reference points at and the platform picked from it',
    );
    table.string('digest', 128).notNullable();
    table.string('platform', 64).notNullable();
    table.text('metadata').notNullable();
    table.dateTime('fetched_at').notNullable();
    table.primary(['digest', 'platform']);
  });
  await knex.schema.createTable('entity_containers', table => {
    table.comment(
      'Containers found for each entity, with their last good answer and last error',
    );
    table.string('entity_ref', 512).notNullable();
    table.string('container_key', 1024).notNullable();
    table.text('container').notNullable();
    table.string('image', 512).notNullable();
    table.string('platform', 64).notNullable();
    table.string('digest', 128).nullable();
    table.string('running_digest', 128).nullable();
    table.dateTime('resolved_at').nullable();
    table
      .text('error')
      .nullable()
      .comment('The last error (JSON: class, message, advice, at = last seen)');
    table
      .dateTime('error_first_seen')
      .nullable()
      .comment('When the current error class was first seen');
    table.dateTime('updated_at').notNullable();
    table.primary(['entity_ref', 'container_key']);
  });
  await knex.schema.createTable('entity_refreshes', table => {
    table.comment(
      'When each entity was last refreshed, and errors about its sources',
    );
    table.string('entity_ref', 512).primary().notNullable();
    table.dateTime('refreshed_at').notNullable();
    table.text('errors').notNullable();
    table.string('owner', 512).nullable();
    table.string('system', 512).nullable();
    table.string('lifecycle', 255).nullable();
    table.string('type', 255).nullable();
    table
      .string('rebuild_delay', 64)
      .nullable()
      .comment('The image-freshness/rebuild-delay annotation as written');
  });
  await knex.schema.createTable('manual_refreshes', table => {
    table.comment(
      'When a refresh was last requested through the API, to rate-limit it across replicas',
    );
    table.string('entity_ref', 512).primary().notNullable();
    table.dateTime('requested_at').notNullable();
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('manual_refreshes');
  await knex.schema.dropTable('entity_refreshes');
  await knex.schema.dropTable('entity_containers');
  await knex.schema.dropTable('image_metadata');
  await knex.schema.dropTable('tag_digests');
};
