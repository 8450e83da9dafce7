#!/usr/bin/env bash
# registry.sh — local OCI registry + nginx fronts for chunkscope's tests.
#
# Usage:
#   [AUTH_REGISTRIES=1] scripts/registry.sh start  [STATE_DIR]   (default STATE_DIR=target/registry)
#   scripts/registry.sh stop   [STATE_DIR]
#   scripts/registry.sh status [STATE_DIR]
#
# `start` (stops a previous instance in the same STATE_DIR first):
#   * CNCF distribution (/usr/bin/docker-registry) on 127.0.0.1:$REGISTRY_PORT
#     (default 5055), filesystem storage in STATE_DIR/data (wiped on every start,
#     set REGISTRY_KEEP_DATA=1 to keep it), anonymous, CORS headers for browsers;
#   * one nginx master (own prefix/conf/pid/logs under STATE_DIR/nginx) with three
#     servers, all proxying to the registry and all on 127.0.0.1:
#       RANGE1_PORT (5056) "max_ranges 1": strips Range/If-Range before the registry,
#                          applies one range itself (206); 2+ ranges -> 200 whole blob
#                          (the setup of tests/fixtures/README.md, phase iv);
#       RANGE0_PORT (5057) "max_ranges 0": ranges ignored, every GET -> 200 whole
#                          blob, and no Accept-Ranges header;
#       LOG_PORT    (5058) plain pass-through (Range forwarded unchanged) that only logs;
#     each server writes one JSON object per request (incl. the Range header as
#     sent, status and body bytes) to its own access log;
#   * pushes every OCI layout in tests/fixtures with skopeo (repo = folder name,
#     tags = the layout's tag and `latest`) and checks that the served manifest
#     digest equals the one in the layout's index.json;
#   * with AUTH_REGISTRIES=1 (scripts/test.sh sets it; not named REGISTRY_AUTH because
#     distribution reads REGISTRY_* variables as config overrides), registries that
#     want credentials:
#       AUTH_REGISTRY_PORT  (5065) distribution with `auth: token` (service
#                           chunkscope-test, issuer chunkscope-test-issuer, realm
#                           TOKEN_ISSUER_URL/token, rootcertbundle = a self-signed
#                           cert made with openssl at start), same CORS headers;
#       TOKEN_ISSUER_PORT   (5066) tests/registry/token_issuer.py: RS256 JWTs (x5c =
#                           that cert); anonymous -> pull on any repository, Basic
#                           tester:s3cret -> pull+push, other credentials -> 401;
#                           CORS; logs every token request (scope, user) as JSON;
#       BASIC_REGISTRY_PORT (5067) distribution with `auth: htpasswd` (tester:s3cret,
#                           bcrypt via htpasswd -B), same CORS headers;
#       AUTH_FRONT_PORT     (5068) an nginx server before the token registry that
#                           answers CORS preflights (OPTIONS -> 204) itself, which
#                           distribution with auth cannot (it answers them 401), and
#                           logs each request's Authorization scheme;
#     AUTH_LAYOUTS are pushed to both registries with tester's credentials (the
#     token registry's push needs the issuer's push grant);
#   * behaviour fronts (tests/registry/behaviour_front.py, one process, one port per
#     front from 5070 up, all proxying to REGISTRY_PORT), each answering ranges like one
#     registry behaviour class (see BEHAVIOUR_FRONTS below and README "Registry behaviour
#     classes"); lifetime BEHAVIOUR_LIFETIME_MINUTES (120), and it exits early when
#     BEHAVIOUR_WATCH_PID (scripts/test.sh sets its own pid) is gone;
#   * with S3_REGISTRY=1 (scripts/test.sh sets it) the seed's S3 topology: a real S3 API
#     server (moto_server from PyPI, installed by scripts/install-deps.sh into target/s3-venv
#     unless python3 already has it) on S3_PORT (5090), a bucket `chunkscope` made with boto3
#     with CORS rules (any origin, GET/HEAD, Range), and a second distribution on
#     S3_REGISTRY_PORT (5091) with the s3 storage driver and redirects on (the default): a
#     blob GET answers 307 to a presigned URL on the S3 port, where a single range gets 206
#     and a multi-range request 200 with the whole object. S3_LAYOUTS are pushed to it;
#   * writes STATE_DIR/env (KEY=value shell lines) and STATE_DIR/env.json.
#   * NOCORS_REGISTRY_PORT (5075): a second CNCF distribution on the same storage with no
#     http.headers at all (no CORS): what most registries look like to a browser; the page
#     reads it through `chunkscope serve` (tests/serve.rs, tests/e2e/serve.test.mjs);
# A port given in the environment is used as is (start fails if it is busy); a
# default port that is busy is replaced by the next free one.
#
# Environment file keys: REGISTRY_URL RANGE1_URL RANGE0_URL LOG_URL (http://127.0.0.1:PORT),
# REGISTRY_HOST (127.0.0.1:PORT), REGISTRY_STATE_DIR, REGISTRY_LOG (registry's own
# log), RANGE1_ACCESS_LOG RANGE0_ACCESS_LOG LOG_ACCESS_LOG, NGINX_ERROR_LOG; with
# AUTH_REGISTRIES=1 also AUTH_REGISTRY_URL AUTH_REGISTRY_HOST TOKEN_ISSUER_URL TOKEN_REALM
# AUTH_SERVICE AUTH_USER AUTH_PASSWORD AUTH_FRONT_URL BASIC_REGISTRY_URL AUTH_REPOS
# (space-separated), AUTH_REGISTRY_LOG BASIC_REGISTRY_LOG TOKEN_ISSUER_LOG
# AUTH_FRONT_ACCESS_LOG. Behaviour fronts: BEHAVIOUR_<NAME>_URL and BEHAVIOUR_<NAME>_LOG for
# each NAME of BEHAVIOUR_FRONTS in upper case with '-' as '_' (BEHAVIOUR_WHOLE_BODY_URL,
# BEHAVIOUR_RANGE_CAP_416_16_URL, ...), and BEHAVIOUR_FRONT_NAMES (space-separated). With
# S3_REGISTRY=1: S3_REGISTRY_URL S3_REGISTRY_HOST S3_ENDPOINT_URL S3_BUCKET S3_REPOS
# S3_REGISTRY_LOG S3_SERVER_LOG. Always NOCORS_REGISTRY_URL NOCORS_REGISTRY_HOST
# NOCORS_REGISTRY_LOG. Always HOSTILE_URL (tests/registry/hostile_server.py) HOSTILE_LOG.
#
# Access log line (JSON): {"time","method","uri","range","if_range","status",
#   "body_bytes_sent","content_length","content_type","origin","acr_headers",
#   "upstream_status","front"}; "range" is "" when the request had no Range. The auth
#   front's lines add "auth": the request's Authorization scheme ("" when none).
# Token issuer log line (JSON): {"time","method","path","service","scopes","auth",
#   "user","origin","status","granted"} (see tests/registry/token_issuer.py).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
FIXTURES="$ROOT/tests/fixtures"
REGISTRY_BIN=${REGISTRY_BIN:-/usr/bin/docker-registry}
NGINX_BIN=${NGINX_BIN:-$(command -v nginx || echo /usr/sbin/nginx)}
HOST=127.0.0.1

# layout folder -> tag inside the layout (index.json's org.opencontainers.image.ref.name)
LAYOUTS=(tiny-current:tiny tiny-legacy:tiny pair-a:pair-a pair-b:pair-b pair-a-legacy:pair-a pair-b-legacy:pair-b)
# eStargz and stargz-snapshotter's zstd:chunked (tag latest)
LAYOUTS+=(estargz-small:latest estargz-pair-b:latest stargz-zstdchunked-small:latest stargz-zstdchunked-pair-b:latest)
LAYOUTS+=(corners-current:corners corners-legacy:corners)
# what the registries with auth (AUTH_REGISTRIES=1) serve
AUTH_LAYOUTS=(tiny-current:tiny pair-b:pair-b)
ISSUER_PY="$ROOT/tests/registry/token_issuer.py"
# behaviour fronts: NAME:BEHAVIOUR (behaviour_front.py's CLASS[:STATUS][:CAP][:plain])
BEHAVIOUR_FRONTS=(multipart:multipart whole-body:whole-body rejected-400:rejected:400
  rejected-416:rejected:416 rejected-416-plain:rejected:416:plain rejected-501:rejected:501
  range-cap-416-16:range-cap:416:16 range-cap-400-64:range-cap:400:64
  first-range-only:first-range-only no-range:no-range first-200:first-200)
BEHAVIOUR_PY="$ROOT/tests/registry/behaviour_front.py"
# what the registry on S3 storage (S3_REGISTRY=1) serves
S3_LAYOUTS=(pair-b:pair-b)
S3_BUCKET=chunkscope
AUTH_SERVICE=chunkscope-test
AUTH_ISSUER=chunkscope-test-issuer
AUTH_USER=tester
AUTH_PASSWORD=s3cret

log() { echo "[registry] $*" >&2; }
die() { echo "[registry] ERROR: $*" >&2; exit 1; }

state_dir() { # absolute path of STATE_DIR (created)
  local d=${1:-$ROOT/target/registry}
  case $d in /*) ;; *) d="$PWD/$d" ;; esac
  mkdir -p "$d"
  (cd "$d" && pwd)
}

port_busy() { # true if something accepts connections on 127.0.0.1:$1
  (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null
}

# Fetch's "bad ports": browsers and Node's fetch refuse them (e.g. 5060/5061, SIP).
BAD_PORTS=" 1 7 9 11 13 15 17 19 20 21 22 23 25 37 42 43 53 69 77 79 87 95 101 102 103 104
 109 110 111 113 115 117 119 123 135 137 139 143 161 179 389 427 465 512 513 514 515 526
 530 531 532 540 548 554 556 563 587 601 636 989 990 993 995 1719 1720 1723 2049 3659
 4045 4190 5060 5061 6000 6566 6665 6666 6667 6668 6669 6679 6697 10080 "
BAD_PORTS=${BAD_PORTS//$'\n'/ }
USED_PORTS=" "
PICKED=
pick_port() { # pick_port VAR DEFAULT -> sets PICKED (no subshell: USED_PORTS must persist)
  local var=$1 def=$2 p
  if [ -n "${!var:-}" ]; then
    p=${!var}
    [[ $BAD_PORTS == *" $p "* ]] && die "$var=$p is a port that browsers refuse to fetch from"
    port_busy "$p" && die "$var=$p is already in use"
  else
    p=$def
    while port_busy "$p" || [[ $USED_PORTS == *" $p "* ]] || [[ $BAD_PORTS == *" $p "* ]]; do
      p=$((p + 1))
      [ "$p" -gt $((def + 200)) ] && die "no free port near $def for $var"
    done
  fi
  USED_PORTS="$USED_PORTS$p "
  PICKED=$p
}

pid_alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

read_pid() { if [ -f "$1" ]; then tr -dc '0-9' <"$1"; fi; }

wait_http() { # wait_http URL SECONDS [STATUS]: until URL answers STATUS (default: any 2xx)
  local url=$1 secs=$2 want=${3:-} i code
  for ((i = 0; i < secs * 10; i++)); do
    if [ -z "$want" ]; then
      if curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; then return 0; fi
    else
      code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" 2>/dev/null || true)
      [ "$code" = "$want" ] && return 0
    fi
    sleep 0.1
  done
  return 1
}

ours() { # ours PID DIR: the process's command line mentions DIR (guards against reused pids)
  [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -qF -- "$2"
}

stop_pid() { # stop_pid PIDFILE NAME DIR: TERM, wait up to 10 s, then KILL
  local pidfile=$1 name=$2 dir=$3 pid i
  pid=$(read_pid "$pidfile")
  if pid_alive "$pid" && ! ours "$pid" "$dir"; then
    log "pid $pid in $pidfile is not our $name (reused pid?): not killing it"
  elif pid_alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
      pid_alive "$pid" || break
      sleep 0.1
    done
    if pid_alive "$pid"; then
      log "$name ($pid) did not stop on TERM: KILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.2
    fi
    log "stopped $name (pid $pid)"
  fi
  rm -f "$pidfile"
}

nginx_worker_pids() { # workers of master $1 (they die with it; listed to check)
  local master=$1
  [ -n "$master" ] || return 0
  ps -o pid= --ppid "$master" 2>/dev/null | tr -d ' ' || true
}

cmd_stop() {
  local dir; dir=$(state_dir "${1:-}")
  local workers
  workers=$(nginx_worker_pids "$(read_pid "$dir/nginx/nginx.pid")")
  stop_pid "$dir/nginx/nginx.pid" nginx "$dir"
  for w in $workers; do # normally gone with the master already
    if pid_alive "$w"; then kill -KILL "$w" 2>/dev/null || true; fi
  done
  stop_pid "$dir/registry.pid" docker-registry "$dir"
  stop_pid "$dir/registry-auth.pid" "docker-registry (auth: token)" "$dir"
  stop_pid "$dir/registry-basic.pid" "docker-registry (auth: htpasswd)" "$dir"
  stop_pid "$dir/issuer.pid" "token issuer" "$dir"
  stop_pid "$dir/registry-nocors.pid" "docker-registry (no CORS)" "$dir"
  stop_pid "$dir/behaviour.pid" "behaviour fronts" "$dir"
  stop_pid "$dir/registry-s3.pid" "docker-registry (s3)" "$dir"
  stop_pid "$dir/moto.pid" "moto_server" "$dir"
  stop_pid "$dir/hostile.pid" "hostile server" "$dir"
  rm -f "$dir/env" "$dir/env.json" # logs and data stay for post-mortems
}

write_registry_config() { # FILE PORT DATA_DIR [AUTH_YAML]
  local file=$1 port=$2 data=$3 auth=${4:-}
  cat >"$file" <<EOF
# generated by scripts/registry.sh
version: 0.1
log:
  level: info
  formatter: text
  accesslog:
    disabled: false
  fields:
    service: registry
storage:
  filesystem:
    rootdirectory: $data
  delete:
    enabled: false
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: $HOST:$port
  headers:
    X-Content-Type-Options: [nosniff]
    Access-Control-Allow-Origin: ['*']
    Access-Control-Allow-Methods: [HEAD, GET, OPTIONS]
    Access-Control-Allow-Headers: [Accept, Range, Authorization, Cache-Control]
    Access-Control-Expose-Headers: [Content-Range, Content-Length, Docker-Content-Digest, WWW-Authenticate, ETag, Accept-Ranges]
health:
  storagedriver:
    enabled: false
$auth
EOF
}

write_nginx_config() { # DIR REGISTRY_PORT RANGE1_PORT RANGE0_PORT LOG_PORT [AUTH_FRONT_PORT AUTH_REGISTRY_PORT]
  local dir=$1 rport=$2 p1=$3 p0=$4 pl=$5 pf=${6:-} aport=${7:-} user_line="" auth_front=""
  local n="$dir/nginx" logs="$dir/logs"
  mkdir -p "$n/tmp" "$logs"
  # As root, workers would run as nobody and might not reach STATE_DIR.
  [ "$(id -u)" -eq 0 ] && user_line="user root root;"
  if [ -n "$pf" ]; then
    # Before the token registry: answers CORS preflights itself (distribution with auth
    # answers OPTIONS with 401, so a browser's authorised requests fail there), passes
    # everything else through, and logs the Authorization scheme of each request.
    auth_front=$(cat <<EOF
  map \$http_authorization \$auth_scheme {
    default "";
    "~^(?<s>[^ ]+)" \$s;
  }
  log_format authfront escape=json '{"time":"\$time_iso8601","front":"\$server_port",'
    '"method":"\$request_method","uri":"\$request_uri","range":"\$http_range",'
    '"auth":"\$auth_scheme","status":\$status,"body_bytes_sent":\$body_bytes_sent,'
    '"origin":"\$http_origin","acr_headers":"\$http_access_control_request_headers",'
    '"upstream_status":"\$upstream_status"}';
  server {
    listen $HOST:$pf;
    access_log $logs/authfront.access.jsonl authfront;
    location / {
      if (\$request_method = OPTIONS) {
        add_header Access-Control-Allow-Origin * always;
        add_header Access-Control-Allow-Methods "HEAD, GET, OPTIONS" always;
        add_header Access-Control-Allow-Headers "Accept, Range, Authorization, Cache-Control" always;
        add_header Access-Control-Max-Age 600 always;
        return 204;
      }
      proxy_pass http://$HOST:$aport;
      proxy_set_header Host \$http_host;
      proxy_buffering off;
    }
  }
EOF
)
  fi
  cat >"$n/nginx.conf" <<EOF
# generated by scripts/registry.sh
$user_line
daemon on;
worker_processes 1;
pid $n/nginx.pid;
error_log $logs/nginx.error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  default_type application/octet-stream;
  client_body_temp_path $n/tmp/body;
  proxy_temp_path $n/tmp/proxy;
  fastcgi_temp_path $n/tmp/fastcgi;
  uwsgi_temp_path $n/tmp/uwsgi;
  scgi_temp_path $n/tmp/scgi;
  client_max_body_size 0;
  proxy_http_version 1.1;
  proxy_read_timeout 120s;

  log_format ranges escape=json '{"time":"\$time_iso8601","front":"\$server_port",'
    '"method":"\$request_method","uri":"\$request_uri","range":"\$http_range",'
    '"if_range":"\$http_if_range","status":\$status,"body_bytes_sent":\$body_bytes_sent,'
    '"content_length":"\$sent_http_content_length","content_type":"\$sent_http_content_type",'
    '"origin":"\$http_origin","acr_headers":"\$http_access_control_request_headers",'
    '"upstream_status":"\$upstream_status"}';

  # "max_ranges 1": the registry always sends the whole blob, nginx cuts one range
  # out of it; two or more ranges -> 200 with the whole body (like S3/minio fronts).
  server {
    listen $HOST:$p1;
    access_log $logs/range1.access.jsonl ranges;
    location / {
      proxy_pass http://$HOST:$rport;
      proxy_set_header Host \$http_host;
      proxy_set_header Range "";
      proxy_set_header If-Range "";
      proxy_force_ranges on;
      max_ranges 1;
    }
  }

  # "max_ranges 0": a server without range support: always 200 + whole body.
  server {
    listen $HOST:$p0;
    access_log $logs/range0.access.jsonl ranges;
    location / {
      proxy_pass http://$HOST:$rport;
      proxy_set_header Host \$http_host;
      proxy_set_header Range "";
      proxy_set_header If-Range "";
      proxy_hide_header Accept-Ranges;
      max_ranges 0;
    }
  }

  # plain pass-through that only logs what clients sent (Range forwarded unchanged). Large
  # header buffers: a puller's data request carries up to 1023 ranges (~16 KB of Range header),
  # which nginx's default 8 KiB buffers would refuse with 400.
  server {
    listen $HOST:$pl;
    large_client_header_buffers 4 256k;
    access_log $logs/log.access.jsonl ranges;
    location / {
      proxy_pass http://$HOST:$rport;
      proxy_set_header Host \$http_host;
      proxy_buffering off;
    }
  }
$auth_front
}
EOF
}

push_fixtures() { # REGISTRY_HOSTPORT [AUTH LAYOUT...]: AUTH none|token|basic (as AUTH_USER)
  local hp=$1 auth=${2:-none} entry dir tag want got
  local -a layouts=("${LAYOUTS[@]}") creds=() pull=()
  [ $# -gt 2 ] && layouts=("${@:3}")
  [ "$auth" = none ] || creds=(--dest-creds "$AUTH_USER:$AUTH_PASSWORD")
  for entry in "${layouts[@]}"; do
    dir=${entry%%:*} tag=${entry#*:}
    [ -f "$FIXTURES/$dir/index.json" ] || die "missing fixture layout $FIXTURES/$dir"
    want=$(jq -r --arg t "$tag" \
      '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $t) | .digest' \
      "$FIXTURES/$dir/index.json")
    [ -n "$want" ] || die "$dir/index.json has no manifest tagged $tag"
    case $auth in # how the check below reads the manifest back
      none) pull=() ;;
      basic) pull=(-u "$AUTH_USER:$AUTH_PASSWORD") ;;
      token) pull=(-H "Authorization: Bearer $(curl -fsS \
        "$TOKEN_REALM_URL?service=$AUTH_SERVICE&scope=repository:$dir:pull" | jq -r .token)") ;;
    esac
    for dest_tag in "$tag" latest; do
      skopeo --insecure-policy copy -q --preserve-digests --dest-tls-verify=false "${creds[@]}" \
        "oci:$FIXTURES/$dir:$tag" "docker://$hp/$dir:$dest_tag" >/dev/null
      got=$(curl -fsS -o /dev/null -D - "${pull[@]}" \
        -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
        "http://$hp/v2/$dir/manifests/$dest_tag" |
        tr -d '\r' | awk -F': ' 'tolower($1) == "docker-content-digest" {print $2}')
      [ "$got" = "$want" ] || die "$dir:$dest_tag served as '$got', index.json says $want"
    done
    log "pushed $dir:{$tag,latest} = $want${creds:+ (auth: $auth, as $AUTH_USER)}"
  done
}

# The registry without CORS headers: the same storage, its config without http.headers.
start_nocors() { # DIR PORT
  local dir=$1 port=$2
  write_registry_config "$dir/registry-nocors.yml" "$port" "$dir/data"
  awk '/^  headers:/ {skip = 1; next} skip && /^    / {next} {skip = 0; print}' \
    "$dir/registry-nocors.yml" >"$dir/registry-nocors.yml.tmp"
  mv "$dir/registry-nocors.yml.tmp" "$dir/registry-nocors.yml"
  ! grep -qi 'access-control' "$dir/registry-nocors.yml" || die "registry-nocors.yml still has CORS headers"
  setsid "$REGISTRY_BIN" serve "$dir/registry-nocors.yml" >"$dir/logs/registry-nocors.log" 2>&1 </dev/null &
  echo $! >"$dir/registry-nocors.pid"
  wait_http "http://$HOST:$port/v2/" 20 ||
    { tail -20 "$dir/logs/registry-nocors.log" >&2; die "registry (no CORS) did not answer on $HOST:$port"; }
  if curl -fsS -o /dev/null -D - -H 'Origin: http://example.invalid' "http://$HOST:$port/v2/" |
    grep -qi '^access-control-'; then
    die "registry (no CORS) on $HOST:$port sends CORS headers"
  fi
  log "docker-registry (no CORS) pid $(read_pid "$dir/registry-nocors.pid") on http://$HOST:$port"
}

# The registries that want credentials (AUTH_REGISTRIES=1); ports picked by cmd_start.
start_auth() { # DIR AUTH_REGISTRY_PORT TOKEN_ISSUER_PORT BASIC_REGISTRY_PORT
  local dir=$1 aport=$2 iport=$3 bport=$4
  local a="$dir/auth" logs="$dir/logs"
  command -v openssl >/dev/null || die "openssl not installed"
  command -v python3 >/dev/null || die "python3 not installed"
  command -v htpasswd >/dev/null || die "htpasswd not installed (apt-get install apache2-utils)"
  [ "${REGISTRY_KEEP_DATA:-0}" = 1 ] || rm -rf "$dir/data-auth" "$dir/data-basic"
  rm -rf "$a"
  mkdir -p "$a" "$dir/data-auth" "$dir/data-basic"
  : >"$logs/token-issuer.jsonl"

  # The issuer's signing key and the self-signed cert distribution trusts (rootcertbundle).
  openssl req -x509 -newkey rsa:2048 -nodes -days 7 -subj "/CN=$AUTH_ISSUER" \
    -keyout "$a/token.key" -out "$a/token.crt" >"$logs/openssl.log" 2>&1 ||
    { cat "$logs/openssl.log" >&2; die "openssl could not make the token signing cert"; }
  htpasswd -Bbc "$a/htpasswd" "$AUTH_USER" "$AUTH_PASSWORD" 2>/dev/null ||
    die "htpasswd could not write $a/htpasswd"

  TOKEN_REALM_URL="http://$HOST:$iport/token"
  setsid python3 "$ISSUER_PY" --host "$HOST" --port "$iport" --key "$a/token.key" \
    --cert "$a/token.crt" --log "$logs/token-issuer.jsonl" --service "$AUTH_SERVICE" \
    --issuer "$AUTH_ISSUER" --users "$AUTH_USER:$AUTH_PASSWORD" \
    >"$logs/token-issuer.stderr.log" 2>&1 </dev/null &
  echo $! >"$dir/issuer.pid"
  wait_http "http://$HOST:$iport/" 20 ||
    { cat "$logs/token-issuer.stderr.log" >&2; die "token issuer did not answer on $HOST:$iport"; }
  log "token issuer pid $(read_pid "$dir/issuer.pid") on $TOKEN_REALM_URL"

  write_registry_config "$dir/registry-auth.yml" "$aport" "$dir/data-auth" "auth:
  token:
    realm: $TOKEN_REALM_URL
    service: $AUTH_SERVICE
    issuer: $AUTH_ISSUER
    rootcertbundle: $a/token.crt"
  write_registry_config "$dir/registry-basic.yml" "$bport" "$dir/data-basic" "auth:
  htpasswd:
    realm: chunkscope-basic
    path: $a/htpasswd"
  local entry name kind port
  for entry in auth:token:$aport basic:htpasswd:$bport; do
    IFS=: read -r name kind port <<<"$entry"
    setsid "$REGISTRY_BIN" serve "$dir/registry-$name.yml" >"$logs/registry-$name.log" 2>&1 </dev/null &
    echo $! >"$dir/registry-$name.pid"
    # with auth on, /v2/ answers 401 to anonymous clients
    wait_http "http://$HOST:$port/v2/" 20 401 ||
      { tail -20 "$logs/registry-$name.log" >&2; die "registry (auth: $kind) did not answer on $HOST:$port"; }
    log "docker-registry (auth: $kind) pid $(read_pid "$dir/registry-$name.pid") on http://$HOST:$port"
  done

  push_fixtures "$HOST:$aport" token "${AUTH_LAYOUTS[@]}"
  push_fixtures "$HOST:$bport" basic "${AUTH_LAYOUTS[@]}"
}

behaviour_key() { # behaviour_key NAME -> BEHAVIOUR_NAME (upper case, '-' -> '_')
  local k=${1^^}
  echo "BEHAVIOUR_${k//-/_}"
}

# The behaviour fronts before the registry on port $2; ports picked by cmd_start (BPORTS).
start_behaviour() { # DIR REGISTRY_PORT
  local dir=$1 rport=$2 logs="$dir/logs" i entry name args=()
  command -v python3 >/dev/null || die "python3 not installed"
  for i in "${!BEHAVIOUR_FRONTS[@]}"; do
    entry=${BEHAVIOUR_FRONTS[$i]} name=${entry%%:*}
    args+=(--front "$name=${BPORTS[$i]}:${entry#*:}")
    : >"$logs/behaviour-$name.jsonl"
  done
  setsid python3 "$BEHAVIOUR_PY" --host "$HOST" --upstream "http://$HOST:$rport" \
    --log-dir "$logs" --lifetime-minutes "${BEHAVIOUR_LIFETIME_MINUTES:-120}" \
    --watch-pid "${BEHAVIOUR_WATCH_PID:-0}" "${args[@]}" \
    >"$logs/behaviour.stderr.log" 2>&1 </dev/null &
  echo $! >"$dir/behaviour.pid"
  for i in "${!BEHAVIOUR_FRONTS[@]}"; do
    wait_http "http://$HOST:${BPORTS[$i]}/v2/" 10 ||
      { cat "$logs/behaviour.stderr.log" >&2; die "behaviour front ${BEHAVIOUR_FRONTS[$i]%%:*} not ready on ${BPORTS[$i]}"; }
  done
  for entry in "${BEHAVIOUR_FRONTS[@]}"; do : >"$logs/behaviour-${entry%%:*}.jsonl"; done
  log "behaviour fronts pid $(read_pid "$dir/behaviour.pid"): ${#BEHAVIOUR_FRONTS[@]} ports from ${BPORTS[0]}"
}

# The hostile server (tests/registry/hostile_server.py): one misbehaviour per repository name.
start_hostile() { # DIR PORT
  local dir=$1 port=$2 logs="$dir/logs"
  setsid python3 "$ROOT/tests/registry/hostile_server.py" --host "$HOST" --port "$port" \
    --state-dir "$dir" --fixture "$FIXTURES/tiny-current" --stall-seconds "${HOSTILE_STALL_SECONDS:-20}" \
    --lifetime-minutes "${BEHAVIOUR_LIFETIME_MINUTES:-120}" \
    --watch-pid "${BEHAVIOUR_WATCH_PID:-0}" >"$logs/hostile.stderr.log" 2>&1 </dev/null &
  echo $! >"$dir/hostile.pid"
  wait_http "http://$HOST:$port/v2/" 10 ||
    { cat "$logs/hostile.stderr.log" >&2; die "hostile server not ready on $port"; }
  log "hostile server pid $(read_pid "$dir/hostile.pid") on http://$HOST:$port"
}

s3_python() { # the python3 that has moto[server] and boto3 (target/s3-venv first)
  local py
  for py in "$ROOT/target/s3-venv/bin/python3" python3; do
    if "$py" -c 'import moto.server, boto3' 2>/dev/null; then echo "$py"; return 0; fi
  done
  return 1
}

# The S3 topology (S3_REGISTRY=1): moto_server + distribution with the s3 driver.
start_s3() { # DIR S3_PORT S3_REGISTRY_PORT
  local dir=$1 sport=$2 rport=$3 logs="$dir/logs" py
  py=$(s3_python) || die "moto[server] and boto3 not installed (scripts/install-deps.sh)"
  : >"$logs/moto.log"
  # moto keeps everything in memory: a fresh, empty S3 on every start.
  # (the state dir is on its command line so that `stop` can tell it is ours)
  setsid "$py" -c 'import sys; from moto.server import main; main(sys.argv[2:])' "$dir" \
    -H "$HOST" -p "$sport" >"$logs/moto.log" 2>&1 </dev/null &
  echo $! >"$dir/moto.pid"
  wait_http "http://$HOST:$sport/moto-api/" 30 ||
    { tail -20 "$logs/moto.log" >&2; die "moto_server did not answer on $HOST:$sport"; }
  AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test "$py" - "http://$HOST:$sport" "$S3_BUCKET" <<'PY' ||
import sys, boto3
s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1")
s3.create_bucket(Bucket=sys.argv[2])
s3.put_bucket_cors(Bucket=sys.argv[2], CORSConfiguration={"CORSRules": [{
    "AllowedOrigins": ["*"], "AllowedMethods": ["GET", "HEAD"],
    "AllowedHeaders": ["Range", "Accept", "Authorization"],
    "ExposeHeaders": ["Content-Range", "Content-Length", "ETag", "Accept-Ranges"],
    "MaxAgeSeconds": 600}]})
PY
    die "could not create the S3 bucket"
  write_registry_config "$dir/registry-s3.yml" "$rport" "$dir/unused"
  # the s3 driver instead of the filesystem one; redirects stay on (the default)
  python3 - "$dir/registry-s3.yml" "http://$HOST:$sport" "$S3_BUCKET" <<'PY'
import sys
path, endpoint, bucket = sys.argv[1:]
text = open(path).read()
start = text.index("storage:\n")
end = text.index("  delete:\n")
s3 = ("storage:\n  s3:\n    accesskey: test\n    secretkey: test\n    region: us-east-1\n"
      f"    regionendpoint: {endpoint}\n    bucket: {bucket}\n    secure: false\n"
      "    v4auth: true\n    rootdirectory: /registry\n  redirect:\n    disable: false\n")
open(path, "w").write(text[:start] + s3 + text[end:])
PY
  # distribution's AWS SDK refuses to start when AWS_CA_BUNDLE is set
  env -u AWS_CA_BUNDLE setsid "$REGISTRY_BIN" serve "$dir/registry-s3.yml" \
    >"$logs/registry-s3.log" 2>&1 </dev/null &
  echo $! >"$dir/registry-s3.pid"
  wait_http "http://$HOST:$rport/v2/" 20 ||
    { tail -20 "$logs/registry-s3.log" >&2; die "registry (s3) did not answer on $HOST:$rport"; }
  log "moto_server pid $(read_pid "$dir/moto.pid") on http://$HOST:$sport; docker-registry (s3, redirects on) pid $(read_pid "$dir/registry-s3.pid") on http://$HOST:$rport"
  push_fixtures "$HOST:$rport" none "${S3_LAYOUTS[@]}"
}

cmd_start() {
  local dir; dir=$(state_dir "${1:-}")
  command -v jq >/dev/null || die "jq not installed (scripts/install-deps.sh)"
  command -v skopeo >/dev/null || die "skopeo not installed (scripts/install-deps.sh)"
  [ -x "$REGISTRY_BIN" ] || die "$REGISTRY_BIN not installed (apt-get install docker-registry)"
  [ -x "$NGINX_BIN" ] || die "nginx not installed (apt-get install nginx-light)"

  cmd_stop "$dir" # restart-safe
  rm -f "$dir/env" "$dir/env.json"
  [ "${REGISTRY_KEEP_DATA:-0}" = 1 ] || rm -rf "$dir/data"
  mkdir -p "$dir/data" "$dir/logs"
  rm -f "$dir/logs/"*.access.jsonl

  local rport p1 p0 pl aport="" iport="" bport="" pf="" auth=${AUTH_REGISTRIES:-0}
  pick_port REGISTRY_PORT 5055; rport=$PICKED
  pick_port RANGE1_PORT 5056; p1=$PICKED
  pick_port RANGE0_PORT 5057; p0=$PICKED
  pick_port LOG_PORT 5058; pl=$PICKED
  local ncport; pick_port NOCORS_REGISTRY_PORT 5075; ncport=$PICKED
  local hport; pick_port HOSTILE_PORT 5095; hport=$PICKED
  if [ "$auth" = 1 ]; then
    pick_port AUTH_REGISTRY_PORT 5065; aport=$PICKED
    pick_port TOKEN_ISSUER_PORT 5066; iport=$PICKED
    pick_port BASIC_REGISTRY_PORT 5067; bport=$PICKED
    pick_port AUTH_FRONT_PORT 5068; pf=$PICKED
  fi

  local sport="" s3port="" s3=${S3_REGISTRY:-0}
  if [ "$s3" = 1 ]; then
    pick_port S3_PORT 5090; sport=$PICKED
    pick_port S3_REGISTRY_PORT 5091; s3port=$PICKED
  fi
  BPORTS=()
  local i
  for i in "${!BEHAVIOUR_FRONTS[@]}"; do
    pick_port "$(behaviour_key "${BEHAVIOUR_FRONTS[$i]%%:*}")_PORT" $((5070 + i)); BPORTS+=("$PICKED")
  done

  write_registry_config "$dir/registry.yml" "$rport" "$dir/data"
  # setsid: own session, so the caller's Ctrl-C/job control doesn't hit it; stop uses the pid.
  setsid "$REGISTRY_BIN" serve "$dir/registry.yml" >"$dir/logs/registry.log" 2>&1 </dev/null &
  echo $! >"$dir/registry.pid"
  if ! wait_http "http://$HOST:$rport/v2/" 20; then
    tail -20 "$dir/logs/registry.log" >&2
    cmd_stop "$dir"
    die "registry did not answer on $HOST:$rport"
  fi
  log "docker-registry pid $(read_pid "$dir/registry.pid") on http://$HOST:$rport"

  write_nginx_config "$dir" "$rport" "$p1" "$p0" "$pl" "$pf" "$aport"
  if ! "$NGINX_BIN" -q -p "$dir/nginx" -c "$dir/nginx/nginx.conf" -e "$dir/logs/nginx.error.log"; then
    cat "$dir/logs/nginx.error.log" >&2 || true
    cmd_stop "$dir"
    die "nginx failed to start"
  fi
  local p
  for p in "$p1" "$p0" "$pl"; do
    wait_http "http://$HOST:$p/v2/" 10 || { cmd_stop "$dir"; die "nginx front $p not ready"; }
  done
  log "nginx pid $(read_pid "$dir/nginx/nginx.pid"): max_ranges1 :$p1, max_ranges0 :$p0, log :$pl"

  if ! push_fixtures "$HOST:$rport"; then
    cmd_stop "$dir"
    die "pushing fixtures failed"
  fi
  # the pushes went straight to the registry; start the fronts' logs empty anyway
  : >"$dir/logs/range1.access.jsonl"
  : >"$dir/logs/range0.access.jsonl"
  : >"$dir/logs/log.access.jsonl"
  if ! (start_nocors "$dir" "$ncport"); then
    cmd_stop "$dir"
    die "starting the registry without CORS failed"
  fi

  if ! (start_behaviour "$dir" "$rport"); then
    cmd_stop "$dir"
    die "starting the behaviour fronts failed"
  fi

  if ! (start_hostile "$dir" "$hport"); then
    cmd_stop "$dir"
    die "starting the hostile server failed"
  fi

  if [ "$s3" = 1 ]; then
    if ! (start_s3 "$dir" "$sport" "$s3port"); then
      cmd_stop "$dir"
      die "starting the S3 topology failed"
    fi
  fi

  if [ "$auth" = 1 ]; then
    if ! (start_auth "$dir" "$aport" "$iport" "$bport"); then
      cmd_stop "$dir"
      die "starting the registries with auth failed"
    fi
    wait_http "http://$HOST:$pf/v2/" 10 401 || { cmd_stop "$dir"; die "nginx auth front $pf not ready"; }
    log "nginx auth front (answers preflights) :$pf -> :$aport"
    # the pushes' token requests are not the tests' business
    : >"$dir/logs/token-issuer.jsonl"
    : >"$dir/logs/authfront.access.jsonl"
  fi

  {
    printf '%s=%q\n' \
      REGISTRY_URL "http://$HOST:$rport" \
      RANGE1_URL "http://$HOST:$p1" \
      RANGE0_URL "http://$HOST:$p0" \
      LOG_URL "http://$HOST:$pl" \
      REGISTRY_HOST "$HOST:$rport" \
      REGISTRY_STATE_DIR "$dir" \
      REGISTRY_LOG "$dir/logs/registry.log" \
      RANGE1_ACCESS_LOG "$dir/logs/range1.access.jsonl" \
      RANGE0_ACCESS_LOG "$dir/logs/range0.access.jsonl" \
      LOG_ACCESS_LOG "$dir/logs/log.access.jsonl" \
      NGINX_ERROR_LOG "$dir/logs/nginx.error.log" \
      NOCORS_REGISTRY_URL "http://$HOST:$ncport" \
      NOCORS_REGISTRY_HOST "$HOST:$ncport" \
      NOCORS_REGISTRY_LOG "$dir/logs/registry-nocors.log"
    local bnames="" bentry bi bkey
    for bi in "${!BEHAVIOUR_FRONTS[@]}"; do
      bentry=${BEHAVIOUR_FRONTS[$bi]} bkey=$(behaviour_key "${bentry%%:*}")
      bnames="$bnames${bnames:+ }${bentry%%:*}"
      printf '%s=%q\n' "${bkey}_URL" "http://$HOST:${BPORTS[$bi]}" \
        "${bkey}_LOG" "$dir/logs/behaviour-${bentry%%:*}.jsonl"
    done
    printf '%s=%q\n' BEHAVIOUR_FRONT_NAMES "$bnames"
    printf '%s=%q\n' HOSTILE_URL "http://$HOST:$hport" HOSTILE_LOG "$dir/logs/hostile.stderr.log"
    if [ "$s3" = 1 ]; then
      local s3repos="" s3entry
      for s3entry in "${S3_LAYOUTS[@]}"; do s3repos="$s3repos${s3repos:+ }${s3entry%%:*}"; done
      printf '%s=%q\n' \
        S3_REGISTRY_URL "http://$HOST:$s3port" \
        S3_REGISTRY_HOST "$HOST:$s3port" \
        S3_ENDPOINT_URL "http://$HOST:$sport" \
        S3_BUCKET "$S3_BUCKET" \
        S3_REPOS "$s3repos" \
        S3_REGISTRY_LOG "$dir/logs/registry-s3.log" \
        S3_SERVER_LOG "$dir/logs/moto.log"
    fi
    if [ "$auth" = 1 ]; then
      local repos="" entry
      for entry in "${AUTH_LAYOUTS[@]}"; do repos="$repos${repos:+ }${entry%%:*}"; done
      printf '%s=%q\n' \
        AUTH_REGISTRY_URL "http://$HOST:$aport" \
        AUTH_REGISTRY_HOST "$HOST:$aport" \
        TOKEN_ISSUER_URL "http://$HOST:$iport" \
        TOKEN_REALM "http://$HOST:$iport/token" \
        AUTH_SERVICE "$AUTH_SERVICE" \
        AUTH_USER "$AUTH_USER" \
        AUTH_PASSWORD "$AUTH_PASSWORD" \
        AUTH_REPOS "$repos" \
        AUTH_FRONT_URL "http://$HOST:$pf" \
        BASIC_REGISTRY_URL "http://$HOST:$bport" \
        AUTH_REGISTRY_LOG "$dir/logs/registry-auth.log" \
        BASIC_REGISTRY_LOG "$dir/logs/registry-basic.log" \
        TOKEN_ISSUER_LOG "$dir/logs/token-issuer.jsonl" \
        AUTH_FRONT_ACCESS_LOG "$dir/logs/authfront.access.jsonl"
    fi
  } >"$dir/env.tmp"
  # shellcheck disable=SC1091
  (set -a; . "$dir/env.tmp"; jq -n --arg keys "$(cut -d= -f1 "$dir/env.tmp")" \
    '($keys | split("\n")) as $k | env | with_entries(select(.key | IN($k[])))') >"$dir/env.json"
  mv "$dir/env.tmp" "$dir/env"
  log "ready; environment in $dir/env:"
  sed 's/^/  /' "$dir/env" >&2
}

cmd_status() {
  local dir; dir=$(state_dir "${1:-}")
  local rc=0 rpid npid
  rpid=$(read_pid "$dir/registry.pid")
  npid=$(read_pid "$dir/nginx/nginx.pid")
  if pid_alive "$rpid"; then echo "docker-registry: running (pid $rpid)"; else echo "docker-registry: stopped"; rc=1; fi
  if pid_alive "$npid"; then echo "nginx: running (pid $npid, workers $(nginx_worker_pids "$npid" | tr '\n' ' '))"; else echo "nginx: stopped"; rc=1; fi
  local f name pid
  for f in registry-nocors:"docker-registry (no CORS)" registry-auth:"docker-registry (auth: token)" registry-basic:"docker-registry (auth: htpasswd)" issuer:"token issuer" behaviour:"behaviour fronts" registry-s3:"docker-registry (s3)" moto:"moto_server"; do
    [ -f "$dir/${f%%:*}.pid" ] || continue
    name=${f#*:} pid=$(read_pid "$dir/${f%%:*}.pid")
    if pid_alive "$pid"; then echo "$name: running (pid $pid)"; else echo "$name: stopped"; rc=1; fi
  done
  if [ -f "$dir/env" ]; then
    local k v code path want
    while IFS='=' read -r k v; do
      case $k in
        *_URL)
          path=/v2/ want=200
          case $k in
            AUTH_REGISTRY_URL | BASIC_REGISTRY_URL | AUTH_FRONT_URL) want=401 ;; # credentials wanted
            TOKEN_ISSUER_URL) path=/ ;;
            S3_ENDPOINT_URL) path=/moto-api/ ;;
          esac
          code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$v$path" || true)
          echo "$k=$v  (GET $path -> $code)"
          [ "$code" = "$want" ] || rc=1 ;;
        *) echo "$k=$v" ;;
      esac
    done <"$dir/env"
  else
    echo "no $dir/env (not started)"
    rc=1
  fi
  return $rc
}

case ${1:-} in
  start) cmd_start "${2:-}" ;;
  stop) cmd_stop "${2:-}" ;;
  status) cmd_status "${2:-}" ;;
  *) echo "usage: $0 start|stop|status [STATE_DIR]" >&2; exit 2 ;;
esac
