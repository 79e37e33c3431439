-- Internal: a bound of the 95% Wilson score interval of a rate of k in n (sign -1: the
-- lower bound, +1: the upper); NULL when n is 0. change_impact orders by the rise these
-- bounds support, so that one unlucky run does not outrank twenty failed ones.
CREATE OR REPLACE MACRO store.wilson_bound(k, n, sign) AS
    CASE WHEN n > 0 THEN
        (k / n + 1.9208 / n + sign * 1.96 * sqrt((k / n) * (1 - k / n) / n + 0.9604 / (n * n)))
        / (1 + 3.8416 / n)
    END;
