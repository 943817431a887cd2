// nginx as the benchmarks run it: one worker (per core, as the edge's per-core rows), in the
// foreground, no access log, every temporary path inside `prefix`, one server on 127.0.0.1:`port`
// whose /v1/blobs/ location is `location`. `http` adds lines to the http block (a cache zone, an
// upstream). Returns the arguments that start it: nginx -c <conf> -p <prefix>.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function nginxConf(prefix: string, port: number, location: string, http: string[] = []): string[] {
  const conf = join(prefix, 'nginx.conf');
  writeFileSync(
    conf,
    `${process.getuid?.() === 0 ? 'user root;  # the worker must reach the private temp directory' : ''}
worker_processes 1;
pid ${join(prefix, 'nginx.pid')};
error_log ${join(prefix, 'error.log')} warn;
daemon off;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  keepalive_requests 1000000;
  client_body_temp_path ${join(prefix, 'body')};
  proxy_temp_path ${join(prefix, 'proxy')};
  fastcgi_temp_path ${join(prefix, 'fastcgi')};
  uwsgi_temp_path ${join(prefix, 'uwsgi')};
  scgi_temp_path ${join(prefix, 'scgi')};
${http.map((line) => `  ${line}\n`).join('')}  server {
    listen 127.0.0.1:${port};
    location /v1/blobs/ {
${location}
    }
  }
}
`,
  );
  return ['-c', conf, '-p', prefix];
}
