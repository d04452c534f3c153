import { describe, expect, it } from 'vitest';
import { parseConfig } from '@/lib/config';
import { container, containerEnv, renderManifests, serviceLinks, testPasswords, workload, type K8sObject } from './render';

/**
 * The otel Component (k8s/components/otel/) on the base and on the Sentinel overlay: the frontends
 * send their traces to the cluster's collector, say which pod, namespace and node they come from,
 * and nothing else changes. (Every object of both also validates against the Kubernetes API schemas,
 * with the other variants, in manifests.test.ts.)
 */

const COLLECTOR = 'http://otel-collector.observability:4318';
const pod = { 'metadata.name': 'frontend-7c9f-x2v4q', 'metadata.namespace': 'shop', 'spec.nodeName': 'node-3', 'status.podIP': '10.244.0.10' };

const variants = ['.', 'overlays/sentinel'].map((variant) => ({
  variant,
  without: renderManifests(testPasswords, variant),
  with: renderManifests(testPasswords, variant, ['components/otel']),
}));

const frontendEnv = (objects: K8sObject[]) => ({ ...serviceLinks(objects), ...containerEnv(objects, container(workload(objects, 'frontend'), 'frontend'), pod) });

// Generated names carry a hash of their content, which the component changes for the app's ConfigMap.
const names = (objects: K8sObject[]) => objects.map((object) => `${object.kind}/${object.metadata.name.replace(/-[a-z0-9]{10}$/, '')}`).sort();

describe.each(variants)('components/otel on k8s/$variant', (variant) => {
  it("turns tracing on in the frontends' environment, as lib/config reads it, towards the cluster's collector over OTLP/HTTP", () => {
    const env = frontendEnv(variant.with);
    expect(parseConfig(env).tracing).toEqual({ enabled: true, protocol: 'http/protobuf', propagators: ['tracecontext', 'baggage'], logLevel: 'info' });
    expect(env).toMatchObject({ OTEL_EXPORTER_OTLP_ENDPOINT: COLLECTOR, OTEL_SERVICE_NAME: 'guestbook' });
  });

  it('names the pod, namespace and node of each frontend in its resource attributes', () => {
    expect(frontendEnv(variant.with).OTEL_RESOURCE_ATTRIBUTES).toBe(
      'k8s.pod.name=frontend-7c9f-x2v4q,k8s.namespace.name=shop,k8s.node.name=node-3,k8s.deployment.name=frontend',
    );
  });

  it('adds no object and leaves tracing off without it', () => {
    expect(names(variant.with)).toEqual(names(variant.without));
    expect(parseConfig(frontendEnv(variant.without)).tracing).toEqual({ enabled: false });
  });
});
