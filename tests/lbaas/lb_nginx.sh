# SPDX-License-Identifier: BSD-2-Clause
# lb_nginx.sh: Debian nginx as load-balancer members in guest namespaces,
# for netns_lb_health_dp.sh and netns_lb_ipv6.sh (sourced after
# tests/lib/sluice.sh). Each member has its own prefix $tmp/ngx-G with
# config, pid, logs, temp paths and documents (www/id holds its name).
#
# The caller has $tmp (mode 755: nginx's workers read the documents),
# ns NAME (a guest's namespace), fail, wait_for, and `declare -A NGX`.
#
# ngx_conf G LISTEN: write G's config, listening on LISTEN (nginx's
#   syntax: 10.61.0.20:80, [fd00:71::20]:80), access log lines
#   "$remote_addr $request".
# ngx_start G URL: start G's nginx in namespace `ns G` (pid in NGX[G]);
#   wait (5 s) until URL answers from inside it.
# ngx_stop G: stop G's nginx and wait for it.
# ngx_reap: stop every nginx still running (the caller's cleanup).

ngx_conf() {
	local g=$1 d=$tmp/ngx-$1
	mkdir -p "$d/www" "$d/tmp"
	echo "$g" >"$d/www/id"
	cat >"$d/nginx.conf" <<NGX
worker_processes 1;
pid $d/nginx.pid;
error_log $d/error.log;
events { worker_connections 64; }
http {
	log_format peer '\$remote_addr \$request';
	access_log $d/access.log peer;
	client_body_temp_path $d/tmp/body;
	proxy_temp_path $d/tmp/proxy;
	fastcgi_temp_path $d/tmp/fastcgi;
	uwsgi_temp_path $d/tmp/uwsgi;
	scgi_temp_path $d/tmp/scgi;
	server {
		listen $2;
		root $d/www;
	}
}
NGX
}

ngx_start() {
	local g=$1 d=$tmp/ngx-$1
	ip netns exec "$(ns "$g")" nginx -p "$d" -c "$d/nginx.conf" \
		-e "$d/error.log" -g 'daemon off;' >>"$d/out.log" 2>&1 &
	NGX[$g]=$!
	wait_for "nginx of $g listens" 5 ip netns exec "$(ns "$g")" \
		curl -sf -o /dev/null --max-time 1 "$2"
}

ngx_stop() {
	kill "${NGX[$1]}"
	wait "${NGX[$1]}" 2>/dev/null || true
	NGX[$1]=
}

ngx_reap() {
	local g
	for g in "${!NGX[@]}"; do
		[ -n "${NGX[$g]}" ] && kill "${NGX[$g]}" 2>/dev/null &&
			wait "${NGX[$g]}"
	done
}
