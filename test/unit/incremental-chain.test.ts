import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chainJson, groupOfTar, parseChain } from '../../src/catalog/incremental-chain.js';
import { isPgdrError } from '../../src/errors.js';

const KEY = 'srv/pgdr/incremental/20241203T060000/pgdr-chain.json';
const ID = '20241203T060000';
const good = {
  backupId: ID,
  parent: '20241202T060000',
  chain: ['20241201T060000', '20241202T060000'],
  level: 'file',
  references: [['data', 'base/1/1259', 8192, '0a1b2c3d', '20241201T060000']] as const,
};
const doc = (over: Record<string, unknown>) =>
  Buffer.from(JSON.stringify({ ...JSON.parse(chainJson(good)), ...over }));

describe('incremental chain document', () => {
  it('reads back what backup create writes', () => {
    const d = parseChain(Buffer.from(chainJson(good)), KEY, ID);
    assert.deepEqual(d.chain, good.chain);
    assert.deepEqual(d.references, good.references);
  });

  it('reads back the mtime of each reference, and reads a document without them', () => {
    const d = parseChain(Buffer.from(chainJson({ ...good, referenceMtimes: [1764000000] })), KEY, ID);
    assert.deepEqual(d.referenceMtimes, [1764000000]);
    assert.equal(parseChain(Buffer.from(chainJson(good)), KEY, ID).referenceMtimes, undefined);
  });

  it('writes version 2 with block files, so that an older pgdr refuses the chain', () => {
    const blocks = [['data', 'base/5/16384', 16384, '20241201T060000', ['20241202T060000', ID]]] as const;
    const text = chainJson({ ...good, level: 'block', blocks });
    assert.equal(JSON.parse(text).version, 2);
    assert.deepEqual(parseChain(Buffer.from(text), KEY, ID).blocks, blocks);
    assert.equal(JSON.parse(chainJson(good)).version, 1);
  });

  const bad: Array<[string, Record<string, unknown>]> = [
    ['another backup', { backupId: '20241204T060000' }],
    ['a chain not ending with the parent', { chain: ['20241202T060000', '20241201T060000'] }],
    ['a parent newer than the backup', { parent: '20241209T060000', chain: ['20241209T060000'] }],
    [
      'a reference to a backup outside the chain',
      { references: [['data', 'x', 1, '0a1b2c3d', '20241130T060000']] },
    ],
    ['a name climbing out', { references: [['data', '../etc/passwd', 1, '0a1b2c3d', '20241201T060000']] }],
    ['a bad group', { references: [['../x', 'a', 1, '0a1b2c3d', '20241201T060000']] }],
    ['a negative size', { references: [['data', 'a', -1, '0a1b2c3d', '20241201T060000']] }],
    ['a newer version', { version: 3 }],
    ['an mtime missing for a reference', { referenceMtimes: [] }],
    ['an mtime that is not a time', { referenceMtimes: ['x'] }],
    ['block rows of a bad group', { blocks: [['../x', 'a', 8192, '20241201T060000', [ID]]] }],
    ['a malformed read CRC', { readCrcs: [['data', 'a', 'xyz']] }],
    ['block rows not patched by this backup last', { blocks: [['data', 'a', 8192, '20241201T060000', []]] }],
    [
      'block rows patched out of order',
      { blocks: [['data', 'a', 8192, '20241202T060000', ['20241201T060000', ID]]] },
    ],
  ];
  for (const [what, over] of bad) {
    it(`refuses ${what}, naming the object`, () => {
      assert.throws(
        () => parseChain(doc(over), KEY, ID),
        (e) => isPgdrError(e, 'CATALOG_INVALID') && e.message.includes(KEY),
      );
    });
  }

  it('refuses what is not JSON', () => {
    assert.throws(
      () => parseChain(Buffer.from('{'), KEY, ID),
      (e) => isPgdrError(e, 'CATALOG_INVALID'),
    );
  });

  it('tells the tar group from the object name', () => {
    assert.equal(groupOfTar('data.tar.gz'), 'data');
    assert.equal(groupOfTar('data_0001.tar.gz'), 'data');
    assert.equal(groupOfTar('16385_0002.tar.snappy'), '16385');
  });
});
