// The support bundle's redaction on its own: what it removes from text and objects, and what it must keep
// (Secret references, the shape of JSON, ordinary log lines), since support needs the rest of the file.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { REDACTED, redactObject, redactText } from '../../src/k8s/support-bundle/redact.js';

describe('support bundle redaction', () => {
  it('removes credentials from text and keeps the rest', () => {
    const cases: [string, string][] = [
      ['dsn postgresql://app:s3cr3t@db:5432/app', `dsn postgresql://app:${REDACTED}@db:5432/app`],
      ['key AKIAABCDEFGHIJKLMNOP used', `key ${REDACTED} used`],
      [
        'https://acct.blob.core.windows.net/c?sv=2022&sig=abc%2Bdef&se=1',
        `https://acct.blob.core.windows.net/c?sv=2022&sig=${REDACTED}&se=1`,
      ],
      ['Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.x.y', `Authorization: Bearer ${REDACTED}`],
      ['PGPASSWORD=hunter2 psql', `PGPASSWORD=${REDACTED} psql`],
      ['{"secretAccessKey":"abc","region":"eu"}', `{"secretAccessKey":"${REDACTED}","region":"eu"}`],
      [
        'AccountName=a;AccountKey=Zm9v;EndpointSuffix=x',
        `AccountName=a;AccountKey=${REDACTED};EndpointSuffix=x`,
      ],
      ['checkpoint complete: wrote 12 buffers', 'checkpoint complete: wrote 12 buffers'],
      ['{"assigned":"node-1","design":"x"}', '{"assigned":"node-1","design":"x"}'],
    ];
    for (const [input, want] of cases) assert.equal(redactText(input), want, input);
    // A credential-named key followed by an object stays valid JSON.
    const j = '{"secretAccessKey": {"name": "s", "key": "K"}}';
    assert.deepEqual(JSON.parse(redactText(j)), JSON.parse(j));
  });

  it('redacts Secret data, credential env values and inline credentials; keeps references', () => {
    const secret = redactObject({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's' },
      data: { password: 'cHc=' },
    });
    assert.deepEqual((secret as { data: unknown }).data, { password: REDACTED });
    const pod = redactObject({
      kind: 'Pod',
      metadata: {
        name: 'p',
        managedFields: [{}],
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"x":1}' },
      },
      spec: {
        containers: [
          {
            name: 'c',
            env: [
              { name: 'AWS_SECRET_ACCESS_KEY', value: 'v1' },
              { name: 'PGDATA', value: '/d' },
            ],
          },
        ],
      },
    }) as { metadata: Record<string, unknown>; spec: { containers: { env: { value: string }[] }[] } };
    assert.deepEqual(
      pod.spec.containers[0]?.env.map((e) => e.value),
      [REDACTED, '/d'],
    );
    assert.equal(pod.metadata.managedFields, undefined);
    assert.deepEqual(pod.metadata.annotations, {
      'kubectl.kubernetes.io/last-applied-configuration': REDACTED,
    });
    const store = redactObject({
      kind: 'ObjectStore',
      spec: {
        configuration: {
          destinationPath: 's3://b/p',
          s3Credentials: {
            accessKeyId: { name: 'creds', key: 'ID' },
            sessionToken: 'tok',
            inheritFromIAMRole: false,
          },
          googleCredentials: {
            applicationCredentials: { name: 'g', key: 'json' },
            gkeEnvironment: 'inline-x',
          },
        },
      },
    }) as { spec: { configuration: Record<string, unknown> } };
    assert.deepEqual(store.spec.configuration, {
      destinationPath: 's3://b/p',
      s3Credentials: {
        accessKeyId: { name: 'creds', key: 'ID' },
        sessionToken: REDACTED,
        inheritFromIAMRole: false,
      },
      googleCredentials: { applicationCredentials: { name: 'g', key: 'json' }, gkeEnvironment: REDACTED },
    });
  });
});
