/*
 * deliveryfx.h: the delivery suites' plan and outbox (check_delivery_*.c).
 *
 * Each test gets a temporary folder from the fixture (efx, enginefx.h),
 * writes a plan of one event whose attendees it names, and runs a real
 * engine over a real outbox, driving engine_step at chosen moments.
 * Gateways are either the real file gateway or the scripted one (nullgw.h)
 * whose answer to each submit the test writes down. Job state is read
 * back with outbox_get.
 */
#ifndef LOA_DELIVERYFX_H
#define LOA_DELIVERYFX_H

#include <stdint.h>

#include "deliver/engine.h"
#include "deliver/outbox.h"
#include "enginefx.h"
#include "nullgw.h"
#include "testutil.h"

#define NOW0  "2026-03-01 09:00" /* the plan is loaded */
#define T_INV "2026-03-13 08:00" /* the invitations are due */

/* Everybody here has email only, unless a test asks for an SMS. */
#define ONE  "\"an\""
#define FIVE "\"an\", \"binh\", \"chau\", \"dung\", \"em\""

/* The fixture: efx's, with no fault armed. */
void dfx_setup(void);
void dfx_teardown(void);

/*
 * An engine over the plan with these attendees, reconciled at NOW0: one
 * event, a month after its invitations; soai organises it (and is not
 * invited); giang and huong have only a phone. files: every gateway is a
 * file gateway under the test's folder (as `simulate` has it); else the
 * service config's gateways are used.
 */
void dfx_open(const char *attendees, int files);
/* The email gateway: the scripted nullgw[CH_EMAIL], with this script. */
void use_script(int n, const struct nullgw_answer *v);

/* A job's state by its name, as conf/REFERENCE.md §6 writes it. */
const char	    *ob_state(const struct ob_job *j);
/* The job as stored now (valid until the next call), and its state. */
const struct ob_job *job_get(const char *id);
const char	    *state_of(const char *id);
/* The id of the invitation to rcpt on channel ch. */
const char	    *invitation_id(const char *rcpt, const char *ch);
/* How many jobs are in state. */
int		     count_in(const char *state);
int		     file_exists(const char *path);
/* The ceiling of the backoff after attempt a (README: 30 s × 2^(a−1), at
 * most one hour). */
int64_t		     backoff_ceiling(int a);

#endif
