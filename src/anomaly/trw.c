/*
 * trw: Threshold Random Walk (Jung, Paxson, Berger, Balakrishnan,
 * "Fast portscan detection using sequential hypothesis testing", IEEE
 * S&P 2004). Each first-contact connection attempt of a source either
 * succeeds or fails; under H0 (benign) it succeeds with probability
 * theta0, under H1 (scanner) with theta1 < theta0. The walk adds the log
 * likelihood ratio of each outcome and stops at log eta1 = log(PD/PF)
 * (scanner) or log eta0 = log((1-PD)/(1-PF)) (benign), Wald's bounds for
 * detection probability PD and false-alarm probability PF. With the
 * paper's values (0.8, 0.2, 0.99, 0.01) four failures in a row decide.
 */
#include <math.h>

#include "mamori/anomaly.h"

int trw_init(struct trw_params *t, double theta0, double theta1, double pd, double pf)
{
	if (!(theta0 > 0 && theta0 < 1 && theta1 > 0 && theta1 < 1) ||
	    theta1 >= theta0 || !(pd > pf) || pd >= 1 || pf <= 0)
		return -1;
	t->step_ok = (float)log(theta1 / theta0);
	t->step_fail = (float)log((1 - theta1) / (1 - theta0));
	t->upper = (float)log(pd / pf);
	t->lower = (float)log((1 - pd) / (1 - pf));
	return 0;
}

enum trw_decision trw_step(const struct trw_params *t, float *llr, bool success)
{
	*llr += success ? t->step_ok : t->step_fail;
	if (*llr >= t->upper)
		return TRW_SCANNER;
	if (*llr <= t->lower) {
		*llr = 0;
		return TRW_BENIGN;
	}
	return TRW_PENDING;
}
