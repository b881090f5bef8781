// @ts-check

/**
 * The transitions the owners were told about: one row per entity, image and
 * kind (`stale`, `rebuild-due`) while the condition lasts; deleted when it
 * ends (image refreshed, rebuild done), so the next transition notifies
 * again. The module's own migrations, recorded in
 * `notification_knex_migrations` beside the core's in the plugin database.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('notification_transitions', table => {
    table.comment(
      'Owner notifications sent for a transition that still lasts; a row is claimed before the send, so no replica or restart sends twice',
    );
    table
      .string('entity_ref', 512)
      .notNullable()
      .comment('kind:namespace/name, as the catalog stringifies it');
    table
      .string('kind', 32)
      .notNullable()
      .comment(
        'stale: the image turned stale; rebuild-due: its base made a rebuild due',
      );
    table
      .string('image', 1024)
      .notNullable()
      .comment('The image reference as the entity runs it');
    table
      .string('owner_ref', 512)
      .notNullable()
      .comment('The owner the notification went to');
    table.dateTime('notified_at').notNullable();
    table.primary(['entity_ref', 'kind', 'image']);
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('notification_transitions');
};
