// Renders badges with shields' badge-maker for t/badge/widths.t.
// Usage: node badge-maker.mjs BADGE_MAKER_DIR CASES.json
// CASES.json is an array of {label, message, color, style}; prints the
// array of SVG documents, in the same order, as JSON.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

const [dir, file] = process.argv.slice(2)
const { makeBadge } = await import(pathToFileURL(join(dir, 'lib/index.js')))
const cases = JSON.parse(readFileSync(file, 'utf8'))
process.stdout.write(JSON.stringify(cases.map(c => makeBadge(c))))
