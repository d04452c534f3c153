import { parser } from '@prometheus-io/lezer-promql';

/**
 * The series selectors of a PromQL expression (`redis_up{job="guestbook-redis"}`, the `x` of
 * `rate(x[5m])`), as Prometheus's own grammar finds them: each one must select something, or the rule
 * or panel that holds it watches a metric that does not exist.
 */
export function selectors(expr: string): string[] {
  const found: string[] = [];
  const tree = parser.parse(expr);
  tree.iterate({
    enter(node) {
      if (node.type.isError) throw new Error(`PromQL that does not parse, at ${node.from}: ${expr}`);
      if (node.name === 'VectorSelector') found.push(expr.slice(node.from, node.to));
    },
  });
  return found;
}
