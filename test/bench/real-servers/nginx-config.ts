// The nginx configuration the benchmark runs: one loopback server with limit_req and/or
// limit_conn in front of a node upstream, everything (pid, logs, temp files) in one directory.

export interface NginxOptions {
  /** `limit_req` on the one client IP: `rate` per second, `burst`, always `nodelay`. */
  limitReq?: { rate: number; burst: number; /** @default 503, nginx's own default */ status?: number };
  /** `limit_conn` on the one client IP: `conns` requests at once. */
  limitConn?: { conns: number; /** @default 503 */ status?: number };
  /** How long the upstream holds each request before its 200. */
  upstreamLatencyMs: number;
}

/**
 * The access log records only each status: the server process counts them as its counters.
 * keepalive_requests is raised so no client's connection is closed under it mid-run (nginx's
 * default closes one after 1,000 requests); refusals are logged at `warn`, below the log's level.
 */
export function nginxConfig(o: NginxOptions, dir: string, port: number, upstreamPort: number): string {
  const req = o.limitReq;
  const conn = o.limitConn;
  return `daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log error;
events { worker_connections 8192; }
http {
  log_format status_only '$status';
  access_log ${dir}/access.log status_only;
  client_body_temp_path ${dir}/client-body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  keepalive_requests 1000000;
  keepalive_timeout 60s;
  ${req ? `limit_req_zone $binary_remote_addr zone=per_ip_rate:1m rate=${req.rate}r/s;` : ''}
  ${conn ? 'limit_conn_zone $binary_remote_addr zone=per_ip_conns:1m;' : ''}
  upstream app {
    server 127.0.0.1:${upstreamPort};
    keepalive 64;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      ${req ? `limit_req zone=per_ip_rate burst=${req.burst} nodelay; limit_req_status ${req.status ?? 503}; limit_req_log_level warn;` : ''}
      ${conn ? `limit_conn per_ip_conns ${conn.conns}; limit_conn_status ${conn.status ?? 503}; limit_conn_log_level warn;` : ''}
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`;
}
