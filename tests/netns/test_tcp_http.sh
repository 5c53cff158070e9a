#!/usr/bin/env bash
# HTTP over TCP both ways. curl in a namespace <-> examples/http_server on
# the Cavalry side: the page, /bytes/N checksummed, 404, 405, HEAD,
# keep-alive (one connection, several requests), Connection: close, and
# 200 requests over up to 50 connections at once. Then a libcavsock client
# (tcp_tool get) <-> nginx in the peer namespace, with its own config, pid
# and logs in the test's directory. KERNEL_PEERS=1: the Linux reference.
. "$(dirname "$0")/tcp_lib.sh"

command -v curl >/dev/null || skip "curl not installed"
command -v nginx >/dev/null || skip "nginx not installed"
N=$((8 << 20))  # /bytes/N from http_server
NB=$((8 << 20)) # the file nginx serves (written to the test's directory)
CT=100          # curl's --max-time (s)
[ "$CAV_LONG" = 1 ] && N=$((1 << 30)) && NB=$((256 << 20)) && CT=900
# 50 connections at once and the listener in one libcavsock process: each
# socket slot takes 512 KiB of the segment (the default 16 MiB holds 31).
tcp_setup "app_segment_mb = 64"

cav_spawn $((CT * 3 + 200)) http_server -p 8080 -t 10 >"$T_DIR/http.out" 2>"$T_DIR/http.err"
http_pid=$SPAWN_PID
wait_until 10 grep -q listening "$T_DIR/http.out" || fail "http_server did not start: $(cat "$T_DIR/http.err")"
URL=http://$CAV_ADDR:8080
curl_peer() { linux_run $((CT + 20)) curl -sS --max-time "$CT" "$@"; }

# The page.
out=$(curl_peer "$URL/") || fail "curl /: $out"
assert_contains "$out" "Hello from Cavalry" "the page"
log "GET /: $(echo "$out" | grep -c .) lines of HTML"

# /bytes/N: a streamed body, checksummed against tcp_tool's stream.
sum=$(curl_peer "$URL/bytes/$N" | sha256sum | cut -d' ' -f1)
assert_eq "$(expect_sum "$N")" "$sum" "SHA-256 of /bytes/$N"
log "GET /bytes/$N: intact"

# 404, 405, HEAD.
code=$(curl_peer -o /dev/null -w '%{http_code}' "$URL/nothing/here")
assert_eq 404 "$code" "status of an unknown path"
code=$(curl_peer -o /dev/null -w '%{http_code}' -X POST -d x "$URL/")
assert_eq 405 "$code" "status of a POST"
hdr=$(curl_peer -I "$URL/bytes/12345" | tr -d '\r')
assert_contains "$hdr" "Content-Length: 12345" "HEAD's Content-Length"

# Keep-alive: three requests, one connection.
curl_peer -v -o /dev/null -o /dev/null -o /dev/null "$URL/" "$URL/bytes/100000" "$URL/" 2>"$T_DIR/ka.err" ||
	fail "keep-alive curl: $(tail "$T_DIR/ka.err")"
reused=$(grep -c "Re-using existing connection" "$T_DIR/ka.err" || true)
assert_eq 2 "$reused" "requests on a reused connection"
connects=$(grep -c "Connected to" "$T_DIR/ka.err" || true)
assert_eq 1 "$connects" "TCP connections for three keep-alive requests"
log "keep-alive: 3 requests on 1 connection"

# Connection: close: the server says so and closes after the response.
curl_peer -v -o /dev/null -H 'Connection: close' "$URL/" 2>"$T_DIR/cl.err" || fail "Connection: close"
grep -qi "< Connection: close" "$T_DIR/cl.err" || fail "no Connection: close in the response"
grep -q "Closing connection" "$T_DIR/cl.err" || fail "curl did not see the connection close"

# Many connections at once: 200 requests, up to 50 in parallel.
urls=()
for i in $(seq 200); do urls+=(-o /dev/null "$URL/bytes/$((1000 + i))"); done
codes=$(curl_peer -Z --parallel-max 50 -w '%{http_code} %{size_download}\n' "${urls[@]}" 2>&1) ||
	fail "parallel curl: $(echo "$codes" | tail -3)"
ok=$(echo "$codes" | awk '$1 == 200 && $2 > 1000' | wc -l)
assert_eq 200 "$ok" "parallel requests answered 200 with their body"
log "200 requests over up to 50 parallel connections: all 200"

kill -TERM "$http_pid"
wait_until 10 grep -q "^requests:" "$T_DIR/http.out" || fail "http_server did not stop"
log "http_server: $(tr '\n' ' ' <"$T_DIR/http.out" | sed 's/listening[^)]*) //')"

# A libcavsock client against nginx on Linux.
mkdir -p "$T_DIR/nginx/www"
echo "<html><body>nginx in $(ns peer)</body></html>" >"$T_DIR/nginx/www/index.html"
"$EX/tcp_tool_kernel" gen "$NB" -s 5 >"$T_DIR/nginx/www/blob"
cat >"$T_DIR/nginx/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
pid $T_DIR/nginx/nginx.pid;
error_log $T_DIR/nginx/error.log warn;
events { worker_connections 128; }
http {
	access_log $T_DIR/nginx/access.log;
	client_body_temp_path $T_DIR/nginx/body;
	proxy_temp_path $T_DIR/nginx/proxy;
	fastcgi_temp_path $T_DIR/nginx/fastcgi;
	uwsgi_temp_path $T_DIR/nginx/uwsgi;
	scgi_temp_path $T_DIR/nginx/scgi;
	keepalive_requests 100;
	server {
		listen $PEER_ADDR:8081;
		root $T_DIR/nginx/www;
	}
}
CONF
bg ip netns exec "$(ns peer)" nginx -p "$T_DIR/nginx" -c "$T_DIR/nginx/nginx.conf" -e "$T_DIR/nginx/error.log"
wait_until 10 listening peer 8081 || fail "nginx did not start: $(cat "$T_DIR/nginx/error.log")"
cav_run "$CT" tcp_tool get "$PEER_ADDR" 8081 /index.html /blob /index.html >"$T_DIR/get.out" 2>"$T_DIR/get.err" ||
	fail "tcp_tool get from nginx: $(cat "$T_DIR/get.err")"
want=$(cat "$T_DIR/nginx/www/index.html" "$T_DIR/nginx/www/blob" "$T_DIR/nginx/www/index.html" | sha256sum)
assert_eq "$want" "$(sha256sum <"$T_DIR/get.out")" "bodies fetched from nginx"
assert_eq 3 "$(grep -c '^status: 200' "$T_DIR/get.err")" "nginx answers"
log "libcavsock client <- nginx: 3 requests on one connection, $NB-byte file intact"
cav_run 30 tcp_tool get "$PEER_ADDR" 8081 /missing >/dev/null 2>"$T_DIR/get404.err" && fail "GET /missing succeeded"
assert_contains "$(cat "$T_DIR/get404.err")" "status: 404" "nginx 404"
grep -q '"GET /blob HTTP/1.1" 200' "$T_DIR/nginx/access.log" || fail "nginx did not log the request"

tcp_finish
