# Hardening, third pass: answers cut between characters, the API's keys.
MUTATIONS = [
    ("hard-answer-cut-boundary",
     "a send's reason longer than an answer holds is cut between "
     "characters, with an ellipsis (deliver/sched.c answer)",
     "src/deliver/sched.c",
     "char *t = text_peer(why, strlen(why), sizeof(c->ans.text) - 1);",
     "char *t = xstrdup(why);"),
    ("hard-http-token-env-warned",
     "loa.http has no token_env: check warns of it as an unknown key",
     "src/plan/service.c",
     '{ "listen", "token_file",\n',
     '{ "listen", "token_file", "token_env",\n'),
]
