// @ts-check

/**
 * Base images: what every image of an entity is built on, the history of the
 * digests each base tag pointed at, and newer-tag discoveries per policy.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('entity_base_images', table => {
    table.comment(
      'The base of every distinct image an entity runs, with the last good facts and the last error',
    );
    table.string('entity_ref', 512).notNullable();
    table
      .string('image', 512)
      .notNullable()
      .comment('The image reference as written');
    table.string('platform', 64).notNullable();
    table.string('image_digest', 128).nullable();
    table.dateTime('image_created').nullable();
    table.boolean('managed').notNullable();
    table
      .string('base_name', 512)
      .nullable()
      .comment('The base as found (annotation, label or FROM)');
    table
      .string('base_reference', 512)
      .nullable()
      .comment('The base tag (or digest) reference, normalised');
    table.string('base_tag', 128).nullable();
    table.boolean('scratch').notNullable().defaultTo(false);
    table
      .text('source')
      .nullable()
      .comment('JSON: kind, dockerfile location, --platform');
    table.string('strategy', 32).nullable();
    table.string('built_on_digest', 128).nullable();
    table.string('built_on_inferred', 32).nullable();
    table.string('current_digest', 128).nullable();
    table
      .dateTime('checked_at')
      .nullable()
      .comment('When the base was last resolved successfully');
    table.dateTime('moved_at').nullable();
    table.string('newest_tag', 128).nullable();
    table.text('newer_tags').nullable().comment('JSON array, newest first');
    table.dateTime('newer_tag_since').nullable();
    table.text('no_base_reason').nullable();
    table
      .text('error')
      .nullable()
      .comment('The last error (JSON: class, message, advice, at = last seen)');
    table.dateTime('error_first_seen').nullable();
    table.dateTime('updated_at').notNullable();
    table.primary(['entity_ref', 'image']);
  });
  await knex.schema.createTable('base_digest_history', table => {
    table.comment(
      'Every digest a base tag was seen pointing at, with when it was first and last seen',
    );
    table.string('reference', 512).notNullable();
    table.string('platform', 64).notNullable();
    table.string('digest', 128).notNullable();
    table
      .string('manifest_digest', 128)
      .nullable()
      .comment(
        "The platform's manifest digest, when the tag points at an index",
      );
    table.dateTime('first_seen').notNullable();
    table.dateTime('last_seen').notNullable();
    table.primary(['reference', 'platform', 'digest']);
  });
  await knex.schema.createTable('base_tag_discoveries', table => {
    table.comment(
      'The best tags of a repository under one tracking policy, with when each was first seen',
    );
    table.string('repository', 512).notNullable();
    table.string('policy_key', 64).notNullable();
    table
      .text('candidates')
      .notNullable()
      .comment('JSON: [{tag, firstSeen, digest?, created?}], best first');
    table.dateTime('checked_at').notNullable();
    table.dateTime('expires_at').notNullable();
    table.primary(['repository', 'policy_key']);
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('base_tag_discoveries');
  await knex.schema.dropTable('base_digest_history');
  await knex.schema.dropTable('entity_base_images');
};
