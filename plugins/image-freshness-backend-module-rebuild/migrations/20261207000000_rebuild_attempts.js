// @ts-check

/**
 * Rebuild attempts: one row per entity, managed image and new base digest
 * (a base move). The unique key is the claim: a replica inserts the row (or
 * takes a failed one over with a conditional update) before it dispatches,
 * so a base move is dispatched once across replicas and restarts.
 *
 * These migrations run with their own knex table (`rebuild_knex_migrations`),
 * apart from the core plugin's, in the plugin's database.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('rebuild_attempts', table => {
    table.comment(
      'One rebuild per entity, managed image and base move, with the latest try and its outcome',
    );
    table.increments('id').primary();
    table.string('entity_ref', 512).notNullable();
    table.string('image', 1024).notNullable();
    table
      .string('base_digest', 128)
      .notNullable()
      .comment('The digest the base tag points to now: the base move');
    table.string('base_name', 1024).notNullable();
    table.string('built_on_digest', 128).nullable();
    table.string('provider', 16).notNullable().comment('github or gitlab');
    table
      .string('target', 1024)
      .notNullable()
      .comment('owner/repo workflow@ref or group/project@ref');
    table.string('trigger', 16).notNullable().comment('scheduled or manual');
    table.string('triggered_by', 512).nullable();
    table
      .string('outcome', 16)
      .notNullable()
      .comment('pending, triggered, failed or unknown');
    table
      .string('claim', 64)
      .notNullable()
      .comment('Who holds the latest try: a random token per claim');
    table.integer('attempts').notNullable();
    table.dateTime('attempted_at').notNullable();
    table.dateTime('finished_at').nullable();
    table.bigInteger('run_id').nullable();
    table.integer('run_number').nullable();
    table.string('run_url', 1024).nullable();
    table.string('error_class', 32).nullable();
    table.text('error_message').nullable();
    table.integer('error_status').nullable();
    table.dateTime('next_retry_at').nullable();
    table.unique(['entity_ref', 'image', 'base_digest'], {
      indexName: 'rebuild_attempts_base_move_idx',
    });
    table.index(['outcome'], 'rebuild_attempts_outcome_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('rebuild_attempts');
};
