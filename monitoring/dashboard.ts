import { JOBS } from './prometheus';

/**
 * The guestbook's Grafana dashboard: a row per tier, each panel a few PromQL queries. Written here as
 * data, so that the layout is computed and the monitoring test can run every query against a real
 * Prometheus; `npm run monitoring:generate` turns it into Grafana's JSON model in
 * k8s/components/monitoring/guestbook-dashboard.json (for Grafana's sidecar, or to import by hand).
 */

export interface Query {
  expr: string;
  legend: string;
}

export interface Panel {
  title: string;
  description: string;
  /** Grafana's unit: reqps, s, bytes, percentunit, short… */
  unit: string;
  queries: Query[];
  /** A line that marks where an alert begins. */
  threshold?: number;
}

export interface Row {
  title: string;
  panels: Panel[];
}

/** The series of one job in the namespaces chosen at the top of the dashboard. */
const of = (job: string, matchers = '') => `{job="${job}", namespace=~"$namespace"${matchers ? `, ${matchers}` : ''}}`;
const app = (matchers = '') => of(JOBS.app, matchers);
const front = of(JOBS.frontTier);
const queue = (matchers = '') => of(JOBS.queue, matchers);
const redis = (matchers = '') => of(JOBS.redis, matchers);
const sentinel = of(JOBS.sentinel);
const rate = (selector: string) => `rate(${selector}[$__rate_interval])`;
/** A recording rule's series in the chosen namespaces. */
const recorded = (name: string, matchers = '') => `${name}{namespace=~"$namespace"${matchers ? `, ${matchers}` : ''}}`;

export const ROWS: Row[] = [
  {
    title: 'Front tier (nginx)',
    panels: [
      {
        title: 'Requests',
        description: 'Requests that nginx handled, per second: everything visitors asked, cached or not.',
        unit: 'reqps',
        queries: [{ expr: `sum(${rate(`nginx_http_requests_total${front}`)})`, legend: 'requests' }],
      },
      {
        title: 'Connections',
        description: 'Client connections open now, by what nginx is doing with them.',
        unit: 'short',
        queries: ['reading', 'writing', 'waiting'].map((state) => ({ expr: `sum(nginx_connections_${state}${front})`, legend: state })),
      },
      {
        title: 'Connections dropped',
        description: 'Connections that nginx accepted but could not handle (worker_connections exhausted), per second.',
        unit: 'cps',
        queries: [{ expr: `sum(${rate(`nginx_connections_accepted${front}`)}) - sum(${rate(`nginx_connections_handled${front}`)})`, legend: 'dropped' }],
      },
    ],
  },
  {
    title: 'Admission queue (HAProxy)',
    panels: [
      {
        title: 'Requests waiting',
        description: 'Requests waiting in the queue for a slot of a Next.js process, now: a burst shows as a spike that empties within the deadline.',
        unit: 'short',
        queries: [{ expr: `sum by (instance) (haproxy_backend_current_queue${queue('proxy="next"')})`, legend: '{{instance}}' }],
      },
      {
        title: 'Time in the queue',
        description: 'How long the last requests waited for a slot, on average (HAProxy\'s last 1,024), against the time they took in all.',
        unit: 's',
        queries: [
          { expr: `max by (instance) (haproxy_backend_queue_time_average_seconds${queue('proxy="next"')})`, legend: 'waited {{instance}}' },
          { expr: `max by (instance) (haproxy_backend_total_time_average_seconds${queue('proxy="next"')})`, legend: 'in all {{instance}}' },
        ],
      },
      {
        title: 'Requests turned away (503)',
        description: 'The share of requests that the queue answered 503 itself: past the deadline, no app to connect to, or the queue full (GuestbookFrontTierShedding past the line).',
        unit: 'percentunit',
        threshold: 0.01,
        queries: [{ expr: recorded('namespace:guestbook_queue_shed:ratio_rate5m'), legend: '{{namespace}}' }],
      },
      {
        title: 'Slots in use',
        description: 'Requests in flight to Next.js (16 slots a process): all of them in use while requests wait.',
        unit: 'short',
        queries: [{ expr: `sum by (instance) (haproxy_backend_current_sessions${queue('proxy="next"')})`, legend: '{{instance}}' }],
      },
    ],
  },
  {
    title: 'App (Next.js)',
    panels: [
      {
        title: 'API requests by status',
        description: 'Requests that reached the app (the front tier answers cached ones itself), per second.',
        unit: 'reqps',
        queries: [{ expr: `sum by (status) (${rate(`guestbook_http_request_duration_seconds_count${app()}`)})`, legend: '{{status}}' }],
      },
      {
        title: 'API latency, p99 by route',
        description: 'The 99th percentile of the time the app took, over 5 minutes (GuestbookLatencyHigh past the line).',
        unit: 's',
        threshold: 0.25,
        queries: [{ expr: recorded('namespace_route:guestbook_http_request_duration_seconds:p99_5m'), legend: '{{route}}' }],
      },
      {
        title: 'Reads by source',
        description: 'Reads of entries by the server that answered: the replica, the master (the replica untrusted or silent), none (a 503).',
        unit: 'reqps',
        queries: [{ expr: `sum by (source) (${rate(`guestbook_redis_reads_total${app()}`)})`, legend: '{{source}}' }],
      },
      {
        title: 'Writes by outcome',
        description: 'Posted entries: created, replayed (same Idempotency-Key), refused (key reused), unconfirmed (no replica in time), unavailable, error.',
        unit: 'reqps',
        queries: [{ expr: `sum by (outcome) (${rate(`guestbook_writes_total${app()}`)})`, legend: '{{outcome}}' }],
      },
      {
        title: 'Requests shed by the app',
        description: 'Posts over a client’s rate limit (429) and live streams dropped for falling behind, per second.',
        unit: 'reqps',
        queries: [{ expr: `sum by (reason) (${rate(`guestbook_requests_shed_total${app()}`)})`, legend: '{{reason}}' }],
      },
      {
        title: 'Live streams open',
        description: 'Browsers following /api/guestbook/events, over every frontend.',
        unit: 'short',
        queries: [{ expr: `sum(guestbook_live_streams${app()})`, legend: 'streams' }],
      },
      {
        title: 'Memory, of the container’s limit',
        description: 'Each frontend’s resident memory as a share of its limit (GuestbookFrontendMemoryNearLimit past the line).',
        unit: 'percentunit',
        threshold: 0.9,
        queries: [{ expr: recorded('instance:guestbook_memory:limit_ratio', `job="${JOBS.app}"`), legend: '{{instance}}' }],
      },
      {
        title: 'Event loop delay, p99',
        description: 'How late the event loop runs: the time every request waits on top of its own work.',
        unit: 's',
        queries: [{ expr: `nodejs_eventloop_lag_p99_seconds${app()}`, legend: '{{instance}}' }],
      },
      {
        title: 'Restarts in the last hour',
        description: 'New process start times of the app inside the same pod (GuestbookFrontendRestarting).',
        unit: 'short',
        queries: [{ expr: `changes(process_start_time_seconds${app()}[1h])`, legend: '{{instance}}' }],
      },
    ],
  },
  {
    title: 'Redis',
    panels: [
      {
        title: 'Servers up',
        description: 'Whether each Redis server answers its exporter (GuestbookRedisDown), by its pod’s role.',
        unit: 'short',
        queries: [{ expr: `redis_up${redis()}`, legend: '{{component}} {{instance}}' }],
      },
      {
        title: 'Frontends connected, by role',
        description: 'Frontends whose connection to the master, and to a replica, is ready (GuestbookRedisMasterUnreachable at 0 masters).',
        unit: 'short',
        queries: [{ expr: `sum by (role) (guestbook_redis_connected${app()})`, legend: '{{role}}' }],
      },
      {
        title: 'Replica lag as the frontends see it',
        description: 'How long ago the master had data that the replica each frontend reads from still lacks (GuestbookReplicaLagging past the line).',
        unit: 's',
        threshold: 5,
        queries: [{ expr: `guestbook_replica_lag_seconds${app()}`, legend: '{{instance}}' }],
      },
      {
        title: 'Replication lag as the master sees it',
        description: 'Bytes of the replication stream that each replica has not acknowledged yet.',
        unit: 'bytes',
        queries: [{ expr: recorded('instance_replica:redis_replication_lag:bytes'), legend: '{{slave_ip}}:{{slave_port}}' }],
      },
      {
        title: 'Replicas linked',
        description: 'Replicas whose link to their master is up (GuestbookReplicaLinkDown for each that is not).',
        unit: 'short',
        queries: [{ expr: `sum(redis_master_link_up${redis()})`, legend: 'linked' }],
      },
      {
        title: 'Reads served by a replica',
        description: 'Frontends that read from their replica now (0: from the master, GuestbookReadsOffReplica).',
        unit: 'short',
        queries: [{ expr: `sum(guestbook_replica_trusted${app()})`, legend: 'frontends' }],
      },
      {
        title: 'Commands',
        description: 'Commands each Redis server processes, per second.',
        unit: 'ops',
        queries: [{ expr: `sum by (component, instance) (${rate(`redis_commands_processed_total${redis()}`)})`, legend: '{{component}} {{instance}}' }],
      },
      {
        title: 'Command time seen by the app, p99',
        description: 'The 99th percentile of the Redis work of a request, by role, from the app’s side (network included).',
        unit: 's',
        queries: [{ expr: `histogram_quantile(0.99, sum by (role, le) (${rate(`guestbook_redis_command_duration_seconds_bucket${app()}`)}))`, legend: '{{role}}' }],
      },
      {
        title: 'Memory',
        description: 'Memory that each server’s data takes, and its maxmemory (past it, writes are refused).',
        unit: 'bytes',
        queries: [
          { expr: `redis_memory_used_bytes${redis()}`, legend: 'used {{instance}}' },
          { expr: `redis_memory_max_bytes${redis()}`, legend: 'max {{instance}}' },
        ],
      },
    ],
  },
  {
    title: 'Sentinel',
    panels: [
      {
        title: 'Quorum',
        description: 'Whether the sentinels can authorize a failover (SENTINEL CKQUORUM; GuestbookSentinelNoQuorum at 0).',
        unit: 'short',
        queries: [{ expr: `max by (master_name) (redis_sentinel_master_ckquorum_status${sentinel})`, legend: '{{master_name}}' }],
      },
      {
        title: 'Sentinels and replicas in sight',
        description: 'How many other sentinels, and how many healthy replicas, each sentinel sees.',
        unit: 'short',
        queries: [
          { expr: `redis_sentinel_master_ok_sentinels${sentinel}`, legend: 'sentinels seen by {{instance}}' },
          { expr: `redis_sentinel_master_ok_slaves${sentinel}`, legend: 'replicas seen by {{instance}}' },
        ],
      },
      {
        title: 'The master, as the sentinels see it',
        description: 'The address that the sentinels give for the master, with its state (a failover changes the address).',
        unit: 'short',
        queries: [{ expr: `max by (master_address, master_status) (redis_sentinel_master_status${sentinel})`, legend: '{{master_address}} {{master_status}}' }],
      },
    ],
  },
];

const WIDTH = 24;
const PANEL = { w: 8, h: 8 };

/** Grafana's JSON model (schema 39) of the rows and panels above. */
export function grafanaDashboard(rows: Row[] = ROWS): Record<string, unknown> {
  let id = 0;
  let y = 0;
  const panels = rows.flatMap((row) => {
    const header = { id: ++id, type: 'row', title: row.title, collapsed: false, gridPos: { x: 0, y: y++, w: WIDTH, h: 1 }, panels: [] };
    const perLine = WIDTH / PANEL.w;
    const body = row.panels.map((panel, index) => ({
      id: ++id,
      type: 'timeseries',
      title: panel.title,
      description: panel.description,
      datasource: { type: 'prometheus', uid: '${datasource}' },
      gridPos: { x: (index % perLine) * PANEL.w, y: y + Math.floor(index / perLine) * PANEL.h, ...PANEL },
      fieldConfig: {
        defaults: {
          unit: panel.unit,
          ...(panel.threshold !== undefined && {
            custom: { thresholdsStyle: { mode: 'line' } },
            thresholds: { mode: 'absolute', steps: [{ color: 'green', value: null }, { color: 'red', value: panel.threshold }] },
          }),
        },
        overrides: [],
      },
      options: { legend: { displayMode: 'list', placement: 'bottom' }, tooltip: { mode: 'multi' } },
      targets: panel.queries.map((query, index) => ({
        refId: String.fromCharCode(65 + index),
        datasource: { type: 'prometheus', uid: '${datasource}' },
        expr: query.expr,
        legendFormat: query.legend,
      })),
    }));
    y += Math.ceil(row.panels.length / perLine) * PANEL.h;
    return [header, ...body];
  });
  return {
    uid: 'guestbook',
    title: 'Guestbook',
    description: 'The guestbook, tier by tier: front tier, app, Redis, Sentinel (README, "Operations").',
    tags: ['guestbook'],
    schemaVersion: 39,
    version: 1,
    editable: true,
    time: { from: 'now-1h', to: 'now' },
    refresh: '30s',
    templating: {
      list: [
        { name: 'datasource', label: 'Prometheus', type: 'datasource', query: 'prometheus', current: {}, hide: 0 },
        {
          name: 'namespace',
          label: 'Namespace',
          type: 'query',
          datasource: { type: 'prometheus', uid: '${datasource}' },
          query: { query: `label_values(up{job="${JOBS.app}"}, namespace)`, refId: 'namespace' },
          definition: `label_values(up{job="${JOBS.app}"}, namespace)`,
          refresh: 2,
          includeAll: true,
          multi: true,
          // All: any namespace, and none (a Prometheus outside Kubernetes labels no namespace).
          allValue: '.*',
          current: { text: 'All', value: '$__all' },
          hide: 0,
        },
      ],
    },
    annotations: { list: [] },
    panels,
  };
}
