# The HTTP API's hardening: a refused reload in /healthz and /metrics,
# the bounds on connections (per address, time to a whole request), and
# speech kept off the API's thread (conf/REFERENCE.md §9).
MUTATIONS = [
    ("apib-reload-healthz",
     "a refused reload makes /healthz 503 and its status failing",
     "src/api/health.c",
     "json_string(v.reload_error)));\n\t\tok = 0;",
     "json_string(v.reload_error)));"),
    ("apib-reload-cleared",
     "a good reload clears the refused one from /healthz and the gauge",
     "src/deliver/live.c",
     "\t\tl->v.reload_refused_at = TIMEX_NONE;\n\t\tl->v.reload_error[0]",
     "\t\tl->v.reload_error[0]"),
    ("apib-reload-gauge",
     "loa_config_reload_failed is 1 while the last reload was refused",
     "src/api/metrics.c",
     "    v.reload_refused_at != TIMEX_NONE);",
     "    0);"),
    ("apib-client-connections",
     "one client address holds at most loa.http.client_connections",
     "src/api/server.c",
     "(unsigned int)(o->client_conns > 0 ? o->client_conns :",
     "(unsigned int)(o->client_conns > 0 ? 0 :"),
    ("apib-request-timeout",
     "a connection without a whole request within loa.http.request_timeout "
     "is closed",
     "src/api/server.c",
     "\t\t\tshutdown(n->fd, SHUT_RDWR);",
     "\t\t\t(void)n->fd;"),
    ("apib-log-repeats",
     "a message libmicrohttpd repeats is counted, not logged each time",
     "src/api/server.c",
     "if (strncmp(m, a->log_last, sizeof(a->log_last) - 1) == 0 &&",
     "if (0 && strncmp(m, a->log_last, sizeof(a->log_last) - 1) == 0 &&"),
    ("apib-speech-cached",
     "the API's broadcast routes never synthesise (the speech cache only)",
     "src/api/broadcasts.c",
     "&speech_cached, &d);",
     "&speech_synth, &d);"),
    ("apib-audio-cached",
     "an airing's audio is read from the cache; 503 while it is missing",
     "src/render/speech.c",
     "\tif (cache_own(svc) &&\n"
     "\t    fs_slurp_own(path, WAV_MAX, &data, len, why, sizeof(why)) == 0 &&\n"
     "\t    wav_seconds((unsigned char *)data, *len, *len) >= 0) {\n"
     "\t\t*wav = data;",
     "\tif ((cache_own(svc) &&\n"
     "\t    fs_slurp_own(path, WAV_MAX, &data, len, why, sizeof(why)) == 0 &&\n"
     "\t    wav_seconds((unsigned char *)data, *len, *len) >= 0) ||\n"
     "\t    speech_wav(svc, text, (void **)&data, len, &(double){ 0 }, why,\n"
     "\t\tsizeof(why)) == 0) {\n"
     "\t\t*wav = data;"),
    ("apib-reload-line",
     "a refused reload names its first error's FILE:LINE in /healthz",
     "src/deliver/daemon.c",
     "*why = m != NULL ? first_error(m) : NULL;",
     "*why = NULL;"),
    ("apib-client-default",
     "loa.http.client_connections defaults to 512 (a Kannel's burst of "
     "delivery reports)",
     "src/plan/service.c",
     "svc->http_client_conns = 512;",
     "svc->http_client_conns = 16;"),
]
