/*
 * replay.c: the main of a fuzz harness built without libFuzzer: each
 * argument, a file or a folder of files, is given to the harness once
 * (in name order for a folder). Exits 0 when every input ran; a crash or
 * a failed check of the harness aborts.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/fs.h"
#include "util/mem.h"
#include "fuzz.h"

static int
run_file(const char *path)
{
	char  *data;
	size_t len;
	char   err[512];

	if (fs_slurp(path, 16 * 1024 * 1024, &data, &len, err, sizeof(err)) ==
	    -1) {
		fprintf(stderr, "replay: %s\n", err);
		return -1;
	}
	LLVMFuzzerTestOneInput((const uint8_t *)data, len);
	free(data);
	return 0;
}

static int
by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int
main(int argc, char **argv)
{
	struct stat	sb;
	struct dirent **ents;
	char		path[4096];
	int		i, j, n, runs = 0;

	LLVMFuzzerInitialize(&argc, &argv);
	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &sb) == -1) {
			perror(argv[i]);
			return 1;
		}
		if (!S_ISDIR(sb.st_mode)) {
			if (run_file(argv[i]) == -1)
				return 1;
			runs++;
			continue;
		}
		if ((n = scandir(argv[i], &ents, NULL, by_name)) == -1) {
			perror(argv[i]);
			return 1;
		}
		for (j = 0; j < n; j++) {
			snprintf(path, sizeof(path), "%s/%s", argv[i],
			    ents[j]->d_name);
			if (ents[j]->d_name[0] != '.' && stat(path, &sb) == 0 &&
			    S_ISREG(sb.st_mode)) {
				if (run_file(path) == -1)
					return 1;
				runs++;
			}
			free(ents[j]);
		}
		free(ents);
	}
	printf("replay: %d inputs, no crash\n", runs);
	return 0;
}
