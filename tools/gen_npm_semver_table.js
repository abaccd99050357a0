#!/usr/bin/env node
// Regenerates tests/data/npm_semver_table.json: what npm's own `semver` package answers for
// versions, comparisons, increments, range validity, satisfies and maxSatisfying. The Python
// tests in tests/core/ assert that agentpack.core.versions gives the same answer on every row.
//
// Usage (semver is not a dependency of this repository; install it anywhere outside it):
//   mkdir -p /tmp/npm-semver && (cd /tmp/npm-semver && npm init -y && npm install semver)
//   node tools/gen_npm_semver_table.js /tmp/npm-semver/node_modules/semver > tests/data/npm_semver_table.json
// The semver location may also be given as SEMVER_PATH=..., or left out when `require('semver')`
// resolves (for example through NODE_PATH). The output is deterministic for a given semver
// version: random ranges come from a fixed-seed generator.
'use strict'

const semverPath = process.argv[2] || process.env.SEMVER_PATH || 'semver'
const semver = require(semverPath)
const semverVersion = require(require('path').join(
  require.resolve(semverPath).replace(/index\.js$/, ''), 'package.json')).version

const PRE = { includePrerelease: true }

// Versions to test every range against: releases and prereleases around each boundary the
// ranges below draw (x.y.0, x.0.0, 0.0.z, 0.y.z), plus build metadata.
const VERSIONS = [
  '0.0.0-0', '0.0.0', '0.0.1-alpha', '0.0.1', '0.0.2', '0.0.3-beta', '0.0.3', '0.1.0-0', '0.1.0',
  '0.2.3-beta', '0.2.3', '0.2.9', '0.3.0', '1.0.0-alpha', '1.0.0', '1.2.0-0', '1.2.0', '1.2.2',
  '1.2.3-alpha', '1.2.3-beta.2', '1.2.3-beta.11', '1.2.3', '1.2.3+build.5', '1.2.4-rc.1', '1.2.4',
  '1.2.9', '1.3.0-0', '1.3.0', '1.9.9', '2.0.0-0', '2.0.0-rc.1', '2.0.0', '2.3.4', '2.3.5',
  '3.0.0-alpha', '3.0.0', '5.1.0', '7.2.3', '10.0.0', '9007199254740991.0.0',
]
// A smaller set for the random ranges, which are many.
const CORE_VERSIONS = [
  '0.0.0', '0.0.1', '0.1.0-0', '0.2.3', '1.0.0-alpha', '1.0.0', '1.2.3-beta.2', '1.2.3', '1.2.4',
  '1.3.0', '2.0.0-rc.1', '2.0.0', '3.0.0',
]

const RANGES = [
  // any
  '', '*', 'x', 'X', 'x.x', 'x.x.x', '*.*.*', 'x.x.x-beta', 'v*', '=*', '>=*', '<=*', '<*', '>*', '>x',
  // x-ranges and partials
  '1', '1.x', '1.X', '1.*', '1.x.x', '1.2', '1.2.x', '1.2.*', '1.2.x-beta', 'v1.x', '=1.2', '==1.2',
  '0', '0.x', '0.0', '0.0.x', '>1', '>1.2', '>=1', '>=1.2', '<1', '<1.2', '<=1', '<=1.2', '>1.x',
  '<=1.x', '<1.x', '=1.x', '>0.0', '<0.0',
  // caret
  '^1.2.3', '^1.2', '^1', '^0.2.3', '^0.2', '^0.0.3', '^0.0', '^0', '^0.0.0', '^1.2.3-beta.2',
  '^0.0.3-beta', '^0.2.3-beta', '^1.x', '^0.x', '^0.0.x', '^*', '^x', '^v1.2.3', '^ 1.2.3', '^=1.2.3',
  '^1.x.3', '^2.0.0-rc.1', '^9007199254740990.0.0',
  // tilde
  '~1.2.3', '~1.2', '~1', '~0.2.3', '~0.0.1', '~0', '~1.2.3-beta.2', '~>1.2.3', '~> 1.2', '~>1', '~ 1.2.3',
  '~ >1.2.3', '~1.x', '~*', '~v1.2.3', '~1.2.x', '~0.0.3-beta',
  // hyphen ranges
  '1.2.3 - 2.3.4', '1.2 - 2.3.4', '1.2.3 - 2.3', '1.2.3 - 2', '1 - 2', '1.x - 2.x', '* - 2', '1.2.3 - *',
  '1.2.3-beta.2 - 2.0.0', '1.2.3 - 2.0.0-rc.1', 'v1.2.3 - v2.3.4', '1.2.3  -  2.3.4', '0.0.0 - 1.0.0',
  '=1.2 - 2', '1.2.3 - = 2', '1.2.3+b - 2.3.4+c', '1.2.3 - 1.2.9007199254740991',
  // unions
  '1.2.3 || 2.3.4', '^1.0.0 || ^2.0.0', '1.x || >=2.5.0 || 5.0.0 - 7.2.3', '||', '1.2.3 ||', '|| 1.2.3',
  '1.2.3-beta.2 || *', '<0.0.0-0 || 1.2.3', '<0.0.0-0 || <0.0.0-0', '>=0.0.0 || 1.2.3-beta.2',
  '>=v0.0.0 || 1.2.3-beta.2', '~1.2.3 || ^3.0.0-alpha', '1.2.3||2.3.4',
  // comparators
  '>1.2.3', '>=1.2.3', '<1.2.3', '<=1.2.3', '=1.2.3', '1.2.3', 'v1.2.3', '=v1.2.3', '>= 1.2.3',
  '> 1.2.3', '<  1.2.3', '> =1.2.3', '>=1.2.3 <2.0.0', '>=1.2.3 <2.0.0-0', '>1.2.3 <=1.9.9',
  '>=1.2.3-beta.2 <1.2.4', '>1.2.3-alpha', '<2.0.0-rc.1', '<=2.0.0-rc.1', '<0.0.0-0', '>=0.0.0',
  '>=0.0.0-0', '>=v0.0.0', '1.2.3 1.2.3', '>=1.0.0 >=1.5.0 <3.0.0 <2.5.0', '>2 <1', '=1.2.3-beta.2',
  '1.2.3-beta.2', '>=1.2.3 < 2', '>=1.2.3-beta.2 <=2.0.0-rc.1', '<=1.2.3-beta.11',
  // build metadata and whitespace
  '1.2.3+build', '^1.2.3+build.5', '>=1.2.3+b <2.0.0+c', '+build', '1.2.3 +b 2.0.0', '  ^1.2.3  ',
  '\t>=1.2.3\n<2.0.0', '>=\t1.2.3', '1.2.3\u00a0', '^1.2.3 \u3000|| 2.x', '\ufeff1.2.3',
  // odd but valid to npm
  '*1.2.3', '1.2.3*', '>=*1.2.3', '*>=0.0.0',
  // invalid
  'latest', 'next', '1.2.3.4', '01.2.3', '1.02.3', '1.2.03', '^01.2', '~1.02', '1.2.3-01',
  '1.2.3-beta.01', 'v=1.2.3', 'vv1.2.3', '==1.2.3', '> = 1.2.3', '>>1.2.3', '=>1.2.3', '<>1.2.3',
  '1.2.3-', '~', '^', '>=', '<', 'a.b.c', '1.x.3', 'x.1', '1.*.3', '**', '!1.2.3', '1.2.3 - ', '- 2.0.0',
  '9007199254740992.0.0', '^9007199254740991', '1.2.3 -- 2.0.0', '1.2.3 | 2.0.0', 'v 1.2.3',
  '1.2.3 - 2.0.0 - 3.0.0', '=1.2.3 - 2', '1 - 2 +b +c', 'git+https://example.com/x.git',
  'file:../x', '1.2.3+', '1.2.3-beta..1', '1.2-beta', '^1.2.3-', '>=1.2.3 <', 'x.y.z', '1.2.3 ~',
  '\u0661.2.3',
]

// A fixed-seed generator of range text from the grammar, with some junk spliced in.
function mulberry32 (seed) {
  return function () {
    seed |= 0; seed = seed + 0x6D2B79F5 | 0
    let t = Math.imul(seed ^ seed >>> 15, 1 | seed)
    t = t + Math.imul(t ^ t >>> 7, 61 | t) ^ t
    return ((t ^ t >>> 14) >>> 0) / 4294967296
  }
}
const random = mulberry32(20240601)
const pick = list => list[Math.floor(random() * list.length)]
const ATOMS = ['0', '1', '2', '3', 'x', '*', '10', '01']
const OPERATORS = ['', '', '=', '<', '<=', '>', '>=', '^', '^', '~', '~', '~>', 'v', '> ', '>= ', '^ ']
const JUNK = [' ', '-', '+b', '*', 'v', '=', '.', '^', '~', '>', '|', 'a']
function randomPartial () {
  const count = pick([1, 2, 3, 3, 3])
  let text = Array.from({ length: count }, () => pick(ATOMS)).join('.')
  if (count === 3 && random() < 0.3) text += '-' + pick(['alpha', 'beta.2', '0', 'rc.1', '01'])
  return text
}
function randomAlternative () {
  if (random() < 0.2) return randomPartial() + ' - ' + randomPartial()
  return Array.from({ length: pick([1, 1, 2, 3]) }, () => pick(OPERATORS) + randomPartial()).join(' ')
}
function randomRange () {
  let text = Array.from({ length: pick([1, 1, 1, 2]) }, randomAlternative).join(pick([' || ', '||']))
  if (random() < 0.25) {
    const at = Math.floor(random() * (text.length + 1))
    text = text.slice(0, at) + pick(JUNK) + text.slice(at)
  }
  return text
}
const RANDOM_RANGES = []
while (RANDOM_RANGES.length < 250) {
  const text = randomRange()
  if (!RANGES.includes(text) && !RANDOM_RANGES.includes(text)) RANDOM_RANGES.push(text)
}

function satisfiesRows (ranges, versions) {
  const rows = []
  for (const range of ranges) {
    if (semver.validRange(range) === null) continue
    for (const version of versions) {
      for (const includePrerelease of [false, true]) {
        rows.push([range, version, includePrerelease,
          semver.satisfies(version, range, { includePrerelease })])
      }
    }
  }
  return rows
}

const rangeRows = [...RANGES, ...RANDOM_RANGES].map(range => ({
  range,
  valid: semver.validRange(range) !== null,
  npm: semver.validRange(range),
  npm_include_prerelease: semver.validRange(range, PRE),
}))

// maxSatisfying: ranges against two pools (prerelease-heavy and sparse), both flags.
const POOLS = [
  ['1.2.3', '1.2.4-rc.1', '1.2.4', '1.3.0-beta', '1.3.0', '2.0.0-rc.1', '2.0.0', '2.1.0', '0.1.0', '0.0.3'],
  ['0.0.1', '0.2.0', '1.0.0', '1.2.3-beta.2', '1.2.3+b.1', '1.2.3+b.2', '3.0.0-alpha', '3.0.0'],
]
const MAX_RANGES = [
  '^1.2.3', '~1.2.3', '1.x', '>=1.0.0 <2.0.0', '*', '', '^0.0.1', '^0.1.0', '<1.0.0', '>2.0.0',
  '1.2.3 - 2.0.0', '^1.2.4-rc.1', '^2.0.0-rc.1', '~1.3.0-beta', '>=1.2.3-beta.1 <1.2.4', '<0.0.0-0',
  '2.x || 1.x', '1.2.3', '=1.2.3', '^3.0.0-alpha', '>=3.0.0-0', '4.x', '>=0.0.0', '~0.2', '0.0.x',
]
const maxRows = []
for (const range of MAX_RANGES) {
  for (const pool of POOLS) {
    for (const includePrerelease of [false, true]) {
      maxRows.push([range, pool, includePrerelease,
        semver.maxSatisfying(pool, range, { includePrerelease })])
    }
  }
}

// Version strings: a cross product of main versions, prereleases and builds, plus edge cases.
const MAINS = ['1.2.3', '0.0.0', '01.2.3', '1.02.3', '1.2.03', '1.2', '1.2.3.4', '9007199254740991.0.0',
  '9007199254740992.0.0', '1.x.3', 'a.b.c']
const PRERELEASES = ['', '-alpha', '-alpha.1', '-0', '-01', '-0a', '-a-b', '--', '-', '-a..b', '-é', '-9007199254740992']
const BUILDS = ['', '+b', '+b.01', '+001', '+', '+b..c', '+b+c']
const VERSION_TEXTS = []
for (const main of MAINS) {
  for (const pre of PRERELEASES) {
    for (const build of BUILDS) {
      if (main === '1.2.3' || (pre === '' && build === '') || (pre === '-alpha' && build === '+b')) {
        VERSION_TEXTS.push(main + pre + build)
      }
    }
  }
}
VERSION_TEXTS.push('v1.2.3', 'V1.2.3', '=1.2.3', ' 1.2.3', '1.2.3 ', '1.2.3\n', '', '1', 'latest',
  '1.2.3-beta.2+exp.sha.5114f85', '1.0.0-x.7.z.92', '1.0.0-0.3.7', '2.0.0+20130313144700',
  '1.2.3-' + 'a'.repeat(250), '1.2.3-' + 'a'.repeat(251), '\u0661.2.3')

// SemVer 2.0.0, section 11: the spec's own precedence example, in increasing order.
const SPEC_PRECEDENCE = ['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta',
  '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0']
const COMPARE = [...SPEC_PRECEDENCE, '0.0.0-0', '0.0.0', '1.0.0+build', '1.0.0-alpha+b', '1.0.0--',
  '1.0.0-0', '1.0.0-9', '1.0.0-10', '1.0.0-a', '1.0.0-A', '1.0.0-alpha.0', '1.0.0-alpha.-',
  '1.0.1', '1.1.0', '2.0.0', '10.0.0', '1.0.0-1a', '1.0.0-beta.2.0']
const compareRows = []
for (const a of COMPARE) for (const b of COMPARE) compareRows.push([a, b, semver.compare(a, b)])

const INC_VERSIONS = ['1.2.3', '1.2.3-beta.2', '1.2.0-rc.1', '1.0.0-alpha', '1.0.0', '0.0.0-0',
  '0.1.0', '2.0.0-0', '1.2.3+build.5', '1.2.3-beta+b', '1.0.1-0', '1.1.0-0', '9.9.9']
const incRows = []
for (const v of INC_VERSIONS) for (const part of ['major', 'minor', 'patch']) incRows.push([v, part, semver.inc(v, part)])

const table = {
  meta: {
    generator: 'tools/gen_npm_semver_table.js',
    semver: semverVersion,
    node: process.version,
    note: 'Rows are answers of npm semver; do not edit by hand.',
  },
  versions: {
    valid: VERSION_TEXTS.map(text => [text, semver.valid(text)]),
    spec_precedence: SPEC_PRECEDENCE,
    compare: compareRows,
    inc: incRows,
  },
  ranges: rangeRows,
  satisfies: [...satisfiesRows(RANGES, VERSIONS), ...satisfiesRows(RANDOM_RANGES, CORE_VERSIONS)],
  max_satisfying: maxRows,
}

// One row per line keeps the file readable and its diffs small.
function dump (value, indent) {
  const pad = ' '.repeat(indent)
  if (Array.isArray(value)) {
    if (value.every(item => !Array.isArray(item) && (typeof item !== 'object' || item === null))) {
      return JSON.stringify(value)
    }
    return '[\n' + value.map(item => pad + '  ' + (Array.isArray(item) || typeof item !== 'object'
      ? JSON.stringify(item) : dump(item, indent + 2))).join(',\n') + '\n' + pad + ']'
  }
  if (value && typeof value === 'object') {
    const entries = Object.entries(value)
    if (entries.every(([, v]) => v === null || typeof v !== 'object')) return JSON.stringify(value)
    return '{\n' + entries.map(([k, v]) => pad + '  ' + JSON.stringify(k) + ': ' + dump(v, indent + 2))
      .join(',\n') + '\n' + pad + '}'
  }
  return JSON.stringify(value)
}
process.stdout.write(dump(table, 0) + '\n')
