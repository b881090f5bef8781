#!/usr/bin/env node
/*
 * Writes the Kargo Warehouses of a running portal to a file, for a GitOps
 * repository:
 *
 *   BACKSTAGE_TOKEN=<a backend.auth.externalAccess static token> \
 *     image-freshness-kargo-warehouses --out kargo/warehouses.yaml [--url http://localhost:7007]
 *
 * The portal URL also comes from BACKSTAGE_URL. The file is replaced whole
 * (written beside it, then renamed), and only when the portal answered, so a
 * failed run leaves the last good file. The token is never printed.
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');

function usage(message) {
  process.stderr.write(
    `${message}\nUsage: BACKSTAGE_TOKEN=<token> image-freshness-kargo-warehouses --out FILE [--url BACKSTAGE_URL]\n`,
  );
  process.exit(2);
}

function readArgs(argv) {
  const args = {};
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s);
    if (flag !== '--out' && flag !== '--url')
      usage(`Unknown argument ${argv[i]}`);
    const value = inline ?? argv[++i];
    if (!value) usage(`${flag} needs a value`);
    args[flag.slice(2)] = value;
  }
  return args;
}

async function main() {
  const args = readArgs(process.argv.slice(2));
  if (!args.out) usage('Say where to write the Warehouses with --out FILE');
  const base = (
    args.url ??
    process.env.BACKSTAGE_URL ??
    'http://localhost:7007'
  ).replace(/\/+$/, '');
  const token = process.env.BACKSTAGE_TOKEN;
  if (!token)
    usage(
      'Set BACKSTAGE_TOKEN to a service token the portal accepts (backend.auth.externalAccess)',
    );
  const url = `${base}/api/image-freshness/kargo/warehouses`;
  let res;
  try {
    res = await fetch(url, {
      headers: { accept: 'application/yaml', authorization: `Bearer ${token}` },
    });
  } catch (error) {
    process.stderr.write(
      `Could not reach ${url}: ${error.cause?.message ?? error.message}\n`,
    );
    process.exit(1);
  }
  const text = await res.text();
  if (!res.ok) {
    let message = text.slice(0, 500);
    try {
      message = JSON.parse(text).error.message;
    } catch {
      // not a Backstage error body: show its start
    }
    const hints = {
      401: ' (the token was refused: check BACKSTAGE_TOKEN against backend.auth.externalAccess)',
      404: ' (is backstage-plugin-image-freshness-backend-module-kargo installed?)',
    };
    const hint = hints[res.status] ?? '';
    // whatever the portal answered, the token is not repeated
    message = message.split(token).join('***');
    process.stderr.write(`${url} answered ${res.status}: ${message}${hint}\n`);
    process.exit(1);
  }
  // under yarn, relative to where it was called, not the package
  const out = path.resolve(process.env.INIT_CWD ?? process.cwd(), args.out);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const temp = `${out}.${process.pid}.tmp`;
  fs.writeFileSync(temp, text);
  fs.renameSync(temp, out);
  const count = (text.match(/^kind: Warehouse$/gm) ?? []).length;
  process.stdout.write(`Wrote ${count} Warehouses to ${out}\n`);
}

main();
