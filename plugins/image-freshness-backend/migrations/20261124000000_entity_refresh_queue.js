// @ts-check

/**
 * The refresh's work list: every entity the catalog lists for the refresh,
 * with when it was last processed, so a run refreshes only the entities that
 * are due (never refreshed first, then the longest ago), a bounded batch at a
 * time. Entities refreshed before this migration keep their last refresh.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('entity_refresh_queue', table => {
    table.comment(
      'Entities the refresh works on, with when each was last processed; due again a refresh interval later',
    );
    table.string('entity_ref', 512).primary().notNullable();
    table
      .dateTime('processed_at')
      .nullable()
      .comment(
        'Null until first refreshed; then the start of the scheduled run that refreshed it (or failed to), or the time of a refresh outside the schedule',
      );
    table.index(['processed_at'], 'entity_refresh_queue_processed_at_idx');
  });
  await knex.raw(
    'INSERT INTO entity_refresh_queue (entity_ref, processed_at) SELECT entity_ref, refreshed_at FROM entity_refreshes',
  );
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('entity_refresh_queue');
};
