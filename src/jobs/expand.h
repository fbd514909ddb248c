/* Transitional: the expansion half of plan/plan.h moves here. */
#include "plan/plan.h"
