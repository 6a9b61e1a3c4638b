# Reference data for services/metrics/domain/spc.py and runchart.py, produced by
# the R packages the domain follows: NHSRplotthedots 0.2.2 (ptd_spc) for XmR
# charts and qicharts2 0.8.x (qic, chart = "run") for run charts.
#
# Usage, from the repository root, with both packages installed:
#   Rscript tools/spc_reference/make_reference.R [output_dir]
# output_dir defaults to services/metrics/tests/unit/fixtures/spc.
#
# Every case is written as one JSON file: its input (values, options) and the
# package's output columns, so the Python tests need no R.

suppressPackageStartupMessages({
  library(NHSRplotthedots)
  library(qicharts2)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = TRUE)
out_dir <- if (length(args) > 0) args[[1]] else "services/metrics/tests/unit/fixtures/spc"
dir.create(file.path(out_dir, "xmr"), recursive = TRUE, showWarnings = FALSE)
dir.create(file.path(out_dir, "runchart"), recursive = TRUE, showWarnings = FALSE)

write_fixture <- function(object, path) {
  write_json(object, path, auto_unbox = TRUE, digits = NA, na = "null", null = "null",
             pretty = TRUE, dataframe = "columns")
}

months <- function(n) seq(as.Date("2021-04-01"), by = "month", length.out = n)

# ---- XmR cases ----------------------------------------------------------------

xmr_case <- function(name, description, values, improvement_direction = "increase",
                     target = NULL, rebase_at = integer(), fix_after_n_points = NULL,
                     screen_outliers = TRUE) {
  list(
    name = name, description = description, values = values,
    improvement_direction = improvement_direction, target = target,
    rebase_at = rebase_at, fix_after_n_points = fix_after_n_points,
    screen_outliers = screen_outliers
  )
}

# the last target of a per-point target, or the single target
scalar_target <- function(target) {
  if (is.null(target)) NULL else utils::tail(target, 1)
}

run_ptd_spc <- function(case) {
  d <- data.frame(period = months(length(case$values)), value = case$values)
  warnings <- character()
  result <- withCallingHandlers(
    ptd_spc(
      d, value_field = value, date_field = period,
      rebase = if (length(case$rebase_at)) d$period[case$rebase_at + 1] else ptd_rebase(),
      fix_after_n_points = case$fix_after_n_points,
      improvement_direction = case$improvement_direction,
      target = scalar_target(case$target),
      screen_outliers = case$screen_outliers
    ),
    warning = function(w) {
      warnings <<- c(warnings, conditionMessage(w))
      invokeRestart("muffleWarning")
    }
  )
  if (length(case$target) > 1) {
    # A target per point: the package's assurance logic reads the last row's target
    result$target <- case$target
  }
  list(result = result, warnings = warnings)
}

# Which rule holds at each point, from the package's own (internal) rule functions,
# applied per period as ptd_calculate_point_type() applies them.
rule_flags <- function(points) {
  ptd <- asNamespace("NHSRplotthedots")
  dplyr::ungroup(dplyr::mutate(
    dplyr::group_by(points, .data$rebase_group),
    part_of_seven_point_trend = ptd$ptd_part_of_seven_trend(ptd$ptd_seven_point_trend(.data$y)) == 1,
    part_of_two_in_three = ptd$ptd_part_of_two_in_three(
      ptd$ptd_two_in_three(.data$close_to_limits, .data$relative_to_mean), .data$close_to_limits
    ) == 1,
    part_of_seven_point_one_side_mean = ptd$ptd_part_of_seven_trend(
      ptd$ptd_seven_point_one_side_mean(.data$relative_to_mean)
    ) == 1
  ))
}

icon_name <- function(path) sub("\\.svg$", "", basename(path))

reference_for <- function(case) {
  run <- run_ptd_spc(case)
  result <- run$result
  icons <- NHSRplotthedots:::ptd_get_icons(result)
  assurance <- if (is.null(case$target)) {
    NULL
  } else {
    NHSRplotthedots:::ptd_calculate_assurance_type(result)$assurance_type[[1]]
  }
  summary_rows <- suppressWarnings(utils::capture.output(s <- summary(result)))
  points <- rule_flags(as.data.frame(result))
  points$x <- seq_len(nrow(points)) - 1
  points$f <- NULL
  points$trajectory <- NULL
  # I() keeps one-element vectors as JSON arrays
  case$values <- I(case$values)
  case$rebase_at <- I(case$rebase_at)
  list(
    case = case,
    points = points,
    summary = as.data.frame(s),
    variation_icon = icon_name(icons$icon[icons$type == "variation"]),
    assurance_type = assurance,
    warnings = I(run$warnings)
  )
}

set.seed(20240601)
noise <- function(n, mean, sd) round(rnorm(n, mean, sd), 2)

stable <- noise(24, 50, 5)
los <- c(noise(24, 4.5, 0.2), noise(12, 3.8, 0.2))
theatre <- c(noise(20, 82, 2.5), noise(16, 86, 2.5))

latest_base <- c(50, 52, 48, 51, 49, 50, 53, 47, 50, 51, 48, 50, 49, 51, 50, 52, 48)

xmr_cases <- list(
  xmr_case("plain_increase", "stable series, higher is better", stable, "increase"),
  xmr_case("plain_decrease", "stable series, lower is better", stable, "decrease"),
  xmr_case("plain_neutral", "stable series, no preferred direction", stable, "neutral"),
  xmr_case("outlier_above_increase", "one point beyond the upper limit",
           replace(stable, 15, 95), "increase"),
  xmr_case("outlier_above_decrease", "one point beyond the upper limit, lower is better",
           replace(stable, 15, 95), "decrease"),
  xmr_case("outlier_below_neutral", "one point beyond the lower limit, neutral",
           replace(stable, 9, 5), "neutral"),
  xmr_case("shift_above_mean", "a run of eight points above the mean",
           c(10, 12, 9, 11, 10, 8, 11, 9, 13, 12, 14, 13, 12, 13, 14, 12, 9, 10, 11, 9),
           "increase"),
  xmr_case("shift_below_mean_decrease", "a run of seven points below the mean",
           c(20, 21, 19, 22, 20, 18, 17, 17.5, 18, 17, 18.5, 17, 21, 22, 20, 21, 19, 22),
           "decrease"),
  xmr_case("run_broken_by_point_on_mean", "a point exactly on the mean breaks a run",
           c(12, 12, 12, 12, 12, 12, 10, 12, 12, 12, 12, 12, 12, 8, 6, 8, 8, 8, 8, 14),
           "increase"),
  xmr_case("trend_increasing", "seven points each higher than the one before",
           c(10, 11, 9, 10, 10.5, 9.5, 10, 8, 8.5, 9, 9.5, 10, 10.5, 11, 10, 9.8, 10.2, 10),
           "increase"),
  xmr_case("trend_decreasing_decrease", "a falling trend where lower is better",
           c(30, 29, 31, 30, 32, 33, 32, 31, 30, 29, 28, 27, 26, 30, 31, 29, 30),
           "decrease"),
  xmr_case("trend_crossing_mean", "a trend that crosses the mean",
           c(5, 6, 5, 6, 5, 6, 3, 4, 5, 6, 7, 8, 9, 6, 5, 6, 5, 6),
           "neutral"),
  xmr_case("trends_sharing_a_peak", "a rising trend then a falling one sharing the peak",
           c(5, 5, 5, 1, 2, 3, 4, 5, 6, 7, 6, 5, 4, 3, 2, 1, 5, 5, 5, 5),
           "increase"),
  xmr_case("trend_with_flat_step", "a tie inside a would-be trend stops it",
           c(5, 5, 5, 1, 2, 3, 3, 4, 5, 6, 7, 5, 5, 5, 5, 5), "increase"),
  xmr_case("two_in_three_above", "two of three points close to the upper limit",
           c(10, 11, 9, 10, 11, 9, 10, 10, 12.9, 10.5, 13, 10, 9, 11, 10, 9, 10, 11, 10, 9),
           "increase"),
  xmr_case("two_in_three_opposite_sides", "close points on opposite sides of the mean",
           c(10, 11, 9, 10, 11, 9, 10, 10, 13, 7, 13, 10, 9, 11, 10, 9, 10, 11, 10, 9),
           "increase"),
  xmr_case("two_in_three_below_decrease", "two of three close to the lower limit",
           c(50, 51, 49, 50.5, 49.5, 50, 51, 49, 50, 44, 48.5, 44.2, 50, 51, 49, 50.5, 49, 50, 51,
             49),
           "decrease"),
  xmr_case("two_in_three_with_outside_point", "an outside point and a close point",
           c(10, 11, 9, 10, 11, 9, 10, 10, 13, 20, 10, 10, 9, 11, 10, 9, 10, 11, 10, 9),
           "increase"),
  xmr_case("precedence_trend_and_outside", "limits beat trends, trends beat runs",
           c(1, 2, 3, 4, 5, 6, 7, 8, 5, 5, 5, 20, 5, 5, 5), "increase"),
  xmr_case("precedence_two_in_three_inside_run", "two-in-three beats a run",
           c(10, 9, 10, 11, 9, 10, 11, 12, 13.5, 11, 13.6, 11, 12, 11, 9, 8, 9, 10, 9, 8),
           "decrease"),
  xmr_case("screen_outliers_on", "a spike whose moving ranges are screened out",
           replace(stable, c(8, 16), c(90, 10)), "increase", screen_outliers = TRUE),
  xmr_case("screen_outliers_off", "the same spike, moving ranges kept",
           replace(stable, c(8, 16), c(90, 10)), "increase", screen_outliers = FALSE),
  xmr_case("latest_point_concern_high", "the latest point is too high, lower is better",
           c(latest_base, 60), "decrease"),
  xmr_case("latest_point_improvement_low", "the latest point is low, lower is better",
           c(latest_base, 40), "decrease"),
  xmr_case("latest_point_concern_low", "the latest point is too low, higher is better",
           c(latest_base, 40), "increase"),
  xmr_case("latest_point_neutral_high", "the latest point is high, neutral",
           c(latest_base, 60), "neutral"),
  xmr_case("latest_point_neutral_low", "the latest point is low, neutral",
           c(latest_base, 40), "neutral"),
  xmr_case("rebase_once", "a new period after a step change",
           c(noise(15, 20, 2), noise(15, 30, 2)), "increase", rebase_at = 15L),
  xmr_case("rebase_twice_decrease", "three periods",
           c(noise(12, 60, 4), noise(14, 50, 4), noise(13, 45, 3)), "decrease",
           rebase_at = c(12L, 26L)),
  xmr_case("rebase_at_first_point", "a rebase date on the first point",
           noise(16, 10, 1), "neutral", rebase_at = 0L),
  xmr_case("rebase_short_last_period", "a rebase leaving a short last period",
           c(noise(20, 100, 6), noise(5, 80, 6)), "increase", rebase_at = 20L),
  xmr_case("fix_after_12", "limits fixed after the first twelve points",
           c(noise(12, 40, 3), noise(18, 46, 3)), "increase", fix_after_n_points = 12),
  xmr_case("fix_after_15_with_rebase", "fixed limits in each period",
           c(noise(20, 70, 5), noise(20, 60, 5)), "decrease", fix_after_n_points = 15,
           rebase_at = 20L),
  xmr_case("target_consistent_pass_increase", "target below the lower limit",
           stable, "increase", target = 30),
  xmr_case("target_consistent_fail_increase", "target above the upper limit",
           stable, "increase", target = 80),
  xmr_case("target_inconsistent_increase", "target between the limits",
           stable, "increase", target = 52),
  xmr_case("target_consistent_pass_decrease", "target above the upper limit, lower is better",
           stable, "decrease", target = 80),
  xmr_case("target_consistent_fail_decrease", "target below the lower limit, lower is better",
           stable, "decrease", target = 30),
  xmr_case("target_neutral", "a target with no preferred direction gives no assurance",
           stable, "neutral", target = 30),
  xmr_case("target_with_rebase", "assurance uses the last period's limits",
           c(noise(15, 20, 2), noise(15, 40, 2)), "increase", target = 30, rebase_at = 15L),
  xmr_case("target_changing", "a target per point; assurance uses the latest",
           stable, "increase", target = c(rep(80, 12), rep(30, 12))),
  xmr_case("target_changing_decrease", "a tightening target, lower is better",
           stable, "decrease", target = seq(70, 47, length.out = 24)),
  xmr_case("short_series", "five points: trial limits and a warning",
           c(4, 6, 5, 7, 5), "increase"),
  xmr_case("twelve_points", "twelve points is still short",
           noise(12, 8, 1), "increase"),
  xmr_case("thirteen_points", "thirteen points is long enough",
           noise(13, 8, 1), "increase"),
  xmr_case("one_point", "a single point", c(3), "increase", target = 2),
  xmr_case("two_points", "two points", c(3, 5), "increase"),
  xmr_case("constant_series", "no variation at all", rep(7, 15), "increase", target = 5),
  xmr_case("constant_series_unscreened", "no variation, screening off",
           rep(7, 15), "increase", screen_outliers = FALSE),
  xmr_case("integer_counts", "small counts with many ties",
           c(3, 2, 4, 3, 3, 5, 2, 3, 4, 3, 2, 3, 3, 4, 2, 3, 9, 3, 2, 3), "decrease"),
  xmr_case("length_of_stay_drop", "36 months of average length of stay with a planted drop",
           los, "decrease", target = 4.2),
  xmr_case("length_of_stay_drop_rebased", "the same, rebased at the drop",
           los, "decrease", target = 4.2, rebase_at = 24L),
  xmr_case("theatre_utilisation_shift", "36 months of theatre utilisation % with a shift",
           theatre, "increase", target = 85),
  xmr_case("theatre_utilisation_fixed", "theatre utilisation, limits fixed after 20",
           theatre, "increase", target = 85, fix_after_n_points = 20)
)

# Seeded random series with random options, to reach combinations no one planned.
directions <- c("increase", "decrease", "neutral")
for (i in seq_len(24)) {
  n <- sample(c(3:12, 15, 20, 30, 45, 60), 1)
  values <- round(cumsum(rnorm(n, 0, 1)) * sample(c(0, 0.3, 1), 1) + rnorm(n, 100, 4), 1)
  rebase_at <- if (n >= 20 && runif(1) < 0.5) sort(sample(5:(n - 3), sample(1:2, 1))) else integer()
  xmr_cases[[length(xmr_cases) + 1]] <- xmr_case(
    sprintf("random_%02d", i), "seeded random series with random options", values,
    sample(directions, 1),
    target = if (runif(1) < 0.5) round(runif(1, 90, 110), 1) else NULL,
    rebase_at = rebase_at,
    fix_after_n_points = if (n >= 30 && runif(1) < 0.4) sample(12:20, 1) else NULL,
    screen_outliers = runif(1) < 0.7
  )
}

for (case in xmr_cases) {
  write_fixture(reference_for(case), file.path(out_dir, "xmr", paste0(case$name, ".json")))
}

# ---- run charts ---------------------------------------------------------------

run_chart_reference <- function(name, description, values, freeze = NULL, cl = NA * 1) {
  s <- summary(qic(values, chart = "run", freeze = freeze, cl = cl))
  case <- list(name = name, description = description, values = I(values))
  if (!is.null(freeze)) case$freeze <- freeze
  if (!is.na(cl)) case$cl <- cl
  list(
    case = case,
    cl = s$CL, n_obs = s$n.obs, n_useful = s$n.useful,
    longest_run = s$longest.run, longest_run_max = s$longest.run.max,
    n_crossings = s$n.crossings, n_crossings_min = s$n.crossings.min,
    runs_signal = s$runs.signal == 1
  )
}

run_cases <- list(
  list("random_stable", "no signal expected", noise(20, 10, 2)),
  list("long_run", "eight points above the median",
       c(5, 4, 6, 5, 4, 9, 9, 8, 9, 10, 9, 8, 9, 4, 5, 3, 4, 5)),
  list("few_crossings", "two long halves", c(noise(10, 10, 1), noise(10, 14, 1))),
  list("points_on_median", "points on the median are not useful",
       c(3, 5, 5, 5, 7, 5, 2, 5, 8, 5, 5)),
  list("all_on_median", "a constant series", rep(4, 8)),
  list("even_length_median", "median between two values", c(1, 2, 3, 4, 5, 6, 7, 8)),
  list("one_point", "a single point", c(42)),
  list("two_points", "two points", c(1, 2)),
  list("alternating", "crossing every time", rep(c(1, 3), 10)),
  list("length_of_stay_drop", "length of stay with a drop", los),
  list("theatre_utilisation_shift", "theatre utilisation with a shift", theatre)
)
for (i in seq_len(12)) {
  n <- sample(5:40, 1)
  run_cases[[length(run_cases) + 1]] <- list(
    sprintf("random_%02d", i), "seeded random series",
    round(cumsum(rnorm(n)) * sample(c(0, 0.5, 1), 1) + rnorm(n, 20, 2), 0)
  )
}
# A baseline frozen after the first points (freeze) and a centre line given in advance (cl).
run_cases <- c(run_cases, list(
  list("freeze_after_baseline", "median frozen after the first five points",
       c(5.0, 5.2, 4.8, 5.1, 4.9, 3.0, 3.1, 2.9, 3.2), 5),
  list("freeze_shows_a_shift", "a shift after a frozen baseline of eight points",
       c(10, 11, 9, 10, 12, 9, 11, 10, 14, 15, 14, 16, 15, 14, 15, 16), 8),
  list("freeze_beyond_the_series", "a freeze past the last point uses every point", c(1, 2, 3, 4, 5), 10),
  list("given_centre_below_every_point", "a centre line given in advance", c(3, 5, 4, 6, 5, 4, 6, 5), NULL, 2),
  list("given_centre_on_some_points", "points on a given centre line are not useful",
       c(1, 2, 3, 2, 1, 2, 3), NULL, 2),
  list("given_centre_wins_over_freeze", "a given centre line is used even with freeze",
       c(5.0, 5.2, 4.8, 5.1, 4.9, 3.0, 3.1, 2.9, 3.2), 5, 4)
))
for (case in run_cases) {
  write_fixture(run_chart_reference(case[[1]], case[[2]], case[[3]],
                                    if (length(case) > 3) case[[4]] else NULL,
                                    if (length(case) > 4) case[[5]] else NA * 1),
                file.path(out_dir, "runchart", paste0(case[[1]], ".json")))
}

# The Anhøj limits for every number of useful points up to 500
n_useful <- 1:500
write_fixture(
  list(
    n_useful = n_useful,
    longest_run_max = round(log2(n_useful)) + 3,
    n_crossings_min = stats::qbinom(0.05, n_useful - 1, 0.5)
  ),
  file.path(out_dir, "runchart_limits.json")
)

cat("wrote", length(xmr_cases), "XmR cases and", length(run_cases), "run chart cases to",
    out_dir, "\n")
