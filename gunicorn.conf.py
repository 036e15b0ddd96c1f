"""gunicorn settings: `gunicorn -c gunicorn.conf.py wsgi:app`.

Everything can be changed from the environment, so the same file serves a laptop and a
health board's hosts. The app keeps no state of its own (sessions are signed cookies,
rate-limit counters live in Redis when RATELIMIT_STORAGE_URI says so), so any number of
workers and hosts can run side by side behind a load balancer.
"""
import gc
import multiprocessing
import os

# Where the reverse proxy (nginx, Apache, a load balancer) sends requests.
# (Not $HOST: zsh sets it to the machine's name.)
bind = os.environ.get("GUNICORN_BIND") or f"127.0.0.1:{os.environ.get('PORT', '8000')}"

# WEB_CONCURRENCY is the usual name (Heroku, Render, gunicorn itself); the default is
# gunicorn's 2 x cores + 1. Python runs one thread at a time per process, so workers, not
# threads, are what use the cores.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
# Threaded workers: GUNICORN_THREADS (32) requests inside each worker at once, of which
# the app runs ADMISSION_SLOTS (1 in production) while the rest wait their turn in order
# of deadline, a form sent before a new page load (webapp/admission.py). The threads are
# what let the app see who is waiting: with 4, most of a rush queued unseen in arrival
# order (bench/booking_rush.py, 50 people at once on 2 workers: POST p99 362-411 ms with
# 4 or 8 threads, 146 ms with 32). Connections kept alive cost no thread while idle.
# GUNICORN_WORKER_CLASS=sync with GUNICORN_THREADS=1 gives one request at a time.
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GUNICORN_THREADS", "32"))

# A request that takes longer than this is killed and its worker replaced
# (DB_POOL_TIMEOUT, 10 s, gives up on a busy pool well before that).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
# Keep-alive with the proxy in front (it, not gunicorn, talks to the browsers).
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))

# Recycle workers now and then so slow leaks cannot build up. The jitter is what keeps
# them from restarting together: a restart leaves a worker's share of a busy room waiting
# for a moment, and two workers restarting at once left nobody serving (the p99 of
# bench/feedback_burst.py doubled). A jitter of half the limit makes that rare.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS") or 10000)
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER") or max_requests // 2)
# Build the app once in the master and fork the workers from it, so that a recycled
# worker is serving again in milliseconds: importing the app anew took a second or more,
# with half the capacity gone meanwhile (the tail of the feedback burst bench). The app
# opens no database connection while it is built, so workers share none. A new release
# needs a restart of the service, not a HUP (GUNICORN_PRELOAD=0 restores the old way).
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") != "0"


def when_ready(server) -> None:
    """With preload the app was built in this (master) process, before any worker: warm
    it up here, once, so that every worker starts (and restarts) at full speed."""
    if server.cfg.preload_app:
        from webapp import warm_up

        warm_up(server.app.wsgi())
        # Keep the collector away from the objects built so far: scanning them in a
        # worker would copy the memory pages it shares with this process.
        gc.freeze()

# gunicorn 27's control socket (for `gunicornc`) is one path per user,
# ~/.gunicorn/gunicorn.ctl: two services on a host would fight over it, a service account
# may have no home to write to, and it runs an asyncio thread in the master that every
# recycled worker is forked from. Nothing here uses it.
control_socket_disable = True

# Which addresses may set X-Forwarded-Proto/-For for gunicorn itself. The app reads the
# client address and scheme through werkzeug's ProxyFix (PROXY_FIX_HOPS), which trusts
# exactly that many proxies; keep this to the proxy's address (default: same host).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Logs to standard output/error, for systemd's journal or the container runtime.
# GUNICORN_ACCESS_LOG: "-" (standard output, the default), a file, or "" for none.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# No client address and no query string: feedback is anonymous, and an address logged
# next to "POST /f/<code>" at a given second would link a person to a response.
# (%(U)s is the path alone; %(M)s the duration in milliseconds.)
access_log_format = '"%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'

# Tokens in request lines are long; anything much longer is not ours.
limit_request_line = 4094
