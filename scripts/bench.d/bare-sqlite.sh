# bare-sqlite.sh: sourced by the benchmarks. The reference of a durable
# outbox: a bare SQLite loop doing only the row updates of N sends (WAL,
# synchronous=FULL; each batch's claim committed, then its outcomes with
# their attempt rows), no rendering and no gateway.
#
#   bare_sqlite DIR N BATCH   sets BARE_S (seconds) and BARE_RATE (jobs/s)

bare_sqlite() {
	awk -v n="$2" -v batch="$3" 'BEGIN {
		print "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
		print "CREATE TABLE jobs (id TEXT PRIMARY KEY, state TEXT, next_at INT, attempts INT, sent_at INT);"
		print "CREATE INDEX jobs_ready ON jobs(state, next_at, id);"
		print "CREATE TABLE attempts (job TEXT, at INT, outcome TEXT, answer TEXT);"
		print "BEGIN;"
		for (i = 0; i < n; i++) printf "INSERT INTO jobs VALUES (%d, \x27pending\x27, 0, 0, NULL);\n", i
		print "COMMIT;"
		print ".timer on"
		for (b = 0; b < n; b += batch) {
			hi = b + batch > n ? n : b + batch
			printf "BEGIN; UPDATE jobs SET state=\x27sending\x27, attempts=attempts+1 WHERE id IN (SELECT id FROM jobs WHERE state=\x27pending\x27 AND next_at <= 1 ORDER BY next_at, id LIMIT %d); COMMIT;\n", batch
			printf "BEGIN;"
			for (i = b; i < hi; i++) printf " UPDATE jobs SET state=\x27sent\x27, sent_at=1 WHERE id=\x27%d\x27; INSERT INTO attempts VALUES (\x27%d\x27, 1, \x27sent\x27, \x27ok\x27);", i, i
			print " COMMIT;"
		}
	}' >"$1/ref.sql"
	rm -f "$1/ref.db" "$1/ref.db-wal" "$1/ref.db-shm"
	bare_at=$(grep -n '^.timer on' "$1/ref.sql" | cut -d: -f1)
	head -n "$bare_at" "$1/ref.sql" | grep -v '^.timer' |
	    sqlite3 "$1/ref.db" >/dev/null
	bare_t0=$(date +%s.%N)
	tail -n +"$((bare_at + 1))" "$1/ref.sql" | sqlite3 "$1/ref.db" >/dev/null
	bare_t1=$(date +%s.%N)
	BARE_S=$(awk -v a="$bare_t0" -v b="$bare_t1" 'BEGIN { print b - a }')
	BARE_RATE=$(awk -v n="$2" -v s="$BARE_S" 'BEGIN { printf "%.0f", n / s }')
}
