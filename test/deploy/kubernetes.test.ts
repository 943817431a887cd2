// deploy/kubernetes/: every manifest against the Kubernetes API schemas, with the validators that
// kubernetes-models generates from the Kubernetes OpenAPI spec (ajv, precompiled; 5.1.0 knows fields
// of Kubernetes 1.34 such as PodSpec.hostnameOverride). Those validators check types, required fields
// and formats (quantities, int-or-string) but, like the API server without strict field validation,
// not unknown field names, so the fields that matter here (probes, securityContext, resources) are
// also read back by name below. Broken copies prove the validator rejects real mistakes, and the
// cross-references between manifests (selectors, names, the edge's own settings) are checked too.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Deployment, type IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import {
  HorizontalPodAutoscaler,
  type IHorizontalPodAutoscaler,
} from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import {
  PodDisruptionBudget,
  type IPodDisruptionBudget,
} from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap, type IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret, type ISecret } from 'kubernetes-models/v1/Secret';
import { Service, type IService } from 'kubernetes-models/v1/Service';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { loadConfig } from '../../src/config.ts';

const dir = fileURLToPath(new URL('../../deploy/kubernetes/', import.meta.url));

type Manifest = { apiVersion: string; kind: string; metadata: { name: string } };
type Validatable = new (data: unknown) => { validate(): void };

/** The models of the kinds the manifests use (each knows its apiVersion); another kind fails the test. */
const MODELS = [Deployment, HorizontalPodAutoscaler, PodDisruptionBudget, ConfigMap, Secret, Service];

/** Throws the validator's message (JSON paths of what is wrong) when the manifest breaks the schema. */
function validate(manifest: Manifest): void {
  const model = MODELS.find((m) => m.apiVersion === manifest.apiVersion && m.kind === manifest.kind);
  if (!model) throw new Error(`no Kubernetes schema for ${manifest.apiVersion} ${manifest.kind}`);
  new (model as unknown as Validatable)(manifest).validate();
}

const kustomization = parse(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
const files = kustomization.resources;
const manifests: Manifest[] = files.flatMap((file) =>
  parseAllDocuments(readFileSync(join(dir, file), 'utf8')).map((doc) => doc.toJS() as Manifest),
);

function find<T>(kind: string, name: string): T {
  const found = manifests.find((m) => m.kind === kind && m.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in deploy/kubernetes`);
  return found as T;
}

const deployment = find<IDeployment>('Deployment', 'walrus-edge');
const pod = deployment.spec!.template;
const edge = pod.spec!.containers.find((c) => c.name === 'edge')!;
const configMap = find<IConfigMap>('ConfigMap', 'walrus-edge-config').data!;
const secret = find<ISecret>('Secret', 'walrus-edge-secrets').stringData!;
const service = find<IService>('Service', 'walrus-edge').spec!;
const redisService = find<IService>('Service', 'walrus-edge-redis');

/** The first container of a Deployment's pods. */
const firstContainer = (d: IDeployment) => d.spec!.template.spec!.containers[0]!;

describe('deploy/kubernetes', () => {
  it('lists every manifest of the folder in kustomization.yaml', () => {
    const yamlFiles = readdirSync(dir).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
    expect([...files].sort()).toEqual(yamlFiles.sort());
  });

  it.each(manifests.map((m) => [`${m.kind} ${m.metadata.name}`, m] as const))(
    '%s is valid against the Kubernetes schema',
    (_, manifest) => {
      expect(() => validate(manifest)).not.toThrow();
    },
  );

  it('has the kinds an operator needs', () => {
    expect(manifests.map((m) => `${m.kind}/${m.metadata.name}`).sort()).toEqual([
      'ConfigMap/walrus-edge-config',
      'Deployment/walrus-edge',
      'Deployment/walrus-edge-redis',
      'HorizontalPodAutoscaler/walrus-edge',
      'PodDisruptionBudget/walrus-edge',
      'Secret/walrus-edge-secrets',
      'Service/walrus-edge',
      'Service/walrus-edge-redis',
    ]);
  });

  // Each mutation is a mistake one makes by hand; the validator must say where it is.
  const mistakes: [string, (copy: IDeployment) => void, RegExp][] = [
    [
      'a port as a string',
      (d) => Object.assign(firstContainer(d).ports![0]!, { containerPort: '8080' }),
      /containers\/0\/ports\/0\/containerPort must be integer/,
    ],
    [
      'a memory limit that is no quantity',
      (d) => Object.assign(firstContainer(d).resources!.limits!, { memory: '1 GiB' }),
      /limits\/memory must match format "quantity"/,
    ],
    [
      'a container without a name',
      (d) => Reflect.deleteProperty(firstContainer(d), 'name'),
      /containers\/0 must have required property name/,
    ],
    [
      'no selector',
      (d) => Reflect.deleteProperty(d.spec!, 'selector'),
      /data\/spec must have required property selector/,
    ],
    [
      'a probe without its port',
      (d) => Reflect.deleteProperty(firstContainer(d).readinessProbe!.httpGet!, 'port'),
      /readinessProbe\/httpGet must have required property port/,
    ],
    [
      'replicas as a word',
      (d) => Object.assign(d.spec!, { replicas: 'two' }),
      /spec\/replicas must be integer/,
    ],
  ];
  it.each(mistakes)('rejects a broken copy of the Deployment: %s', (_, breakIt, message) => {
    const copy = structuredClone(deployment);
    breakIt(copy);
    expect(() => validate(copy as Manifest)).toThrow(message);
  });

  it('probes /healthz for liveness and start-up and /readyz for readiness, on the container port', () => {
    expect(edge.ports![0]).toMatchObject({ name: 'http', containerPort: 8080 });
    expect(edge.startupProbe!.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(edge.livenessProbe!.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(edge.readinessProbe!.httpGet).toEqual({ path: '/readyz', port: 'http' });
  });

  it('runs the edge as non-root on a read-only root filesystem, with requests and limits', () => {
    expect(pod.spec!.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001 });
    expect(edge.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    const both = { memory: expect.any(String), cpu: expect.any(String) };
    expect(edge.resources).toMatchObject({ limits: both, requests: both });
    // DATA_DIR is where the edge writes: it must be a mounted volume.
    expect(edge.volumeMounts!.map((m) => m.mountPath)).toContain(configMap.DATA_DIR);
  });

  it('ties the manifests together: selectors, names, ports', () => {
    const labels = pod.metadata!.labels!;
    const selects = (selector: Record<string, string> | undefined) =>
      Object.entries(selector!).every(([key, value]) => labels[key] === value);
    expect(selects(deployment.spec!.selector.matchLabels)).toBe(true);
    expect(selects(service.selector)).toBe(true);
    const pdb = find<IPodDisruptionBudget>('PodDisruptionBudget', 'walrus-edge');
    expect(selects(pdb.spec!.selector!.matchLabels)).toBe(true);
    expect(service.ports![0]!.targetPort).toBe(edge.ports![0]!.name);
    const hpa = find<IHorizontalPodAutoscaler>('HorizontalPodAutoscaler', 'walrus-edge');
    expect(hpa.spec!.scaleTargetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: 'walrus-edge',
    });
    expect(edge.envFrom!.map((e) => e.configMapRef?.name ?? e.secretRef?.name)).toEqual([
      'walrus-edge-config',
      'walrus-edge-secrets',
    ]);
    const redisUrl = new URL(configMap.REDIS_URL!);
    expect(`${redisUrl.hostname}:${redisUrl.port}`).toBe(
      `${redisService.metadata!.name}:${redisService.spec!.ports![0]!.port}`,
    );
    expect(Number(configMap.PORT)).toBe(edge.ports![0]!.containerPort);
  });

  it('holds only settings the edge knows, with values its own validation accepts', () => {
    const env: Record<string, string> = { ...configMap, ...secret, EDGE_INSTANCE_ID: 'walrus-edge-0' };
    const config = loadConfig(env) as Record<string, unknown>;
    // loadConfig keeps only the names it knows: a misspelt one would be missing here.
    expect(Object.keys(env).filter((name) => !(name in config))).toEqual([]);
    expect(config).toMatchObject({ NETWORK: 'mainnet', HOST: '0.0.0.0', PORT: 8080 });
  });

  it('marks every Secret value as a placeholder', () => {
    const values = Object.values(secret);
    expect(values.length).toBeGreaterThan(0);
    for (const value of values) expect(value).toMatch(/REPLACE-ME/);
  });
});
