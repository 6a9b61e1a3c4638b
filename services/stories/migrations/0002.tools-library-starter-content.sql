-- The tools library's starter content, written by the WTGR programme: a PDSA template, a driver
-- diagram guide, how to read an SPC chart and its Making Data Count icons, and how to measure for
-- improvement. Editors may change them like any resource (their version then rises).

INSERT INTO resources (id, slug, title, summary, kind, tags, created_by, body) VALUES
('6b1f7a52-0d4e-4c1a-9f3e-2a7d5c8e1b01', 'pdsa-cycle-template', 'PDSA cycle template',
 'One page per Plan-Do-Study-Act cycle: the change you are testing, what you predict, what happened and what you will do next.',
 'template', '{pdsa,model-for-improvement,template}', 'wtgr-programme',
$md$# PDSA cycle template

Copy this page for every cycle. Keep cycles small: one ward, one shift, a handful of patients or a
week is enough to learn from. Write the **Plan** before you start, including your prediction.

**Project:** ____________________  **Cycle number:** ___  **Change idea tested:** ____________________

## Plan
- **Objective of this cycle:** what do you want to learn? (test a change, develop a change, implement it)
- **Questions:** what do you want to find out? (e.g. "Can the night team complete the falls check at
  handover within two minutes per patient?")
- **Prediction:** what do you expect to happen, and why? Put a figure on it where you can.
- **Who, what, where, when:** who will do it, on which ward or unit, for how long, starting when.
- **Data to collect:** which measures (outcome, process, balancing), who collects them, how often.
  Use the operational definitions from your measurement plan.

## Do
- Carry out the test. Was it carried out as planned? If not, what changed?
- Record what happened, problems met and anything unexpected, as it happens.
- Start analysing the data.

## Study
- Compare the data with your prediction. Plot it over time (a run chart is enough for a few points).
- What did you learn? Were there unintended consequences (check the balancing measures)?
- Summarise in two or three sentences.

## Act
Choose one, and say why:
- **Adopt:** the change works; plan to test it at a larger scale or in other conditions.
- **Adapt:** change the idea and test again.
- **Abandon:** it did not work; try a different change idea.

**Next cycle:** what will you test next, at what scale?

---
Tips: run several small cycles rather than one big one; increase the scale as confidence grows
(one patient, then five, then a shift, then a week); test under different conditions (nights,
weekends) before you implement.
$md$),

('6b1f7a52-0d4e-4c1a-9f3e-2a7d5c8e1b02', 'driver-diagram-guide', 'Driver diagram guide',
 'How to build a driver diagram: from your aim, to the primary and secondary drivers that affect it, to the change ideas you will test.',
 'guide', '{driver-diagram,model-for-improvement,planning}', 'wtgr-programme',
$md$# Driver diagram guide

A driver diagram shows, on one page, your theory of how to reach your aim. It is read left to right:

**Aim → Primary drivers → Secondary drivers → Change ideas**

## 1. Start with the aim
Write an aim that says **what**, **by how much**, **by when** and **for whom**:
"Reduce inpatient falls on Ward 7 from 8 to 5 a month by 31 March." If you cannot say how much,
you cannot tell whether you got there.

## 2. Primary drivers
The few big factors (usually three to six) that must change for the aim to be reached. Ask the
team: "What has to be true for this aim to happen?" For falls, for example: patients at risk are
identified; the environment is safe; patients are supervised when they need to be; staff know what
to do.

## 3. Secondary drivers
For each primary driver, the parts of the system that influence it: processes, norms, equipment,
rules. "Falls risk assessment done within 6 hours of admission" is a secondary driver of
"patients at risk are identified".

## 4. Change ideas
Specific, testable changes that act on a secondary driver: "add a falls check to the evening
handover", "low beds and sensor mats for high-risk patients". Each change idea is tested with
PDSA cycles before it is adopted.

## Tips
- Build it with the people who do the work, and with patients where you can.
- It is a theory: update it as your PDSA cycles teach you what matters.
- Link measures to it: an **outcome** measure for the aim, **process** measures for the drivers you
  are changing, and a **balancing** measure for what might get worse.
- Keep it to one page. If a change idea does not link to a driver, ask why you are doing it.
$md$),

('6b1f7a52-0d4e-4c1a-9f3e-2a7d5c8e1b03', 'how-to-read-an-spc-chart', 'How to read an SPC chart and its Making Data Count icons',
 'What the lines and colours of a statistical process control chart mean, the four rules that find special causes, and the variation and assurance icons.',
 'guide', '{spc,making-data-count,measurement}', 'wtgr-programme',
$md$# How to read an SPC chart and its Making Data Count icons

A statistical process control (SPC) chart plots a measure over time (monthly here) with its
**mean** (the centre line) and its **process limits** (the upper and lower lines, about three sigma
from the mean, worked out from the data). Every process varies; the chart tells you whether the
variation you see is the usual noise of the system or a signal that something has changed.

## Common cause and special cause
- **Common cause variation** is the natural, expected variation of a stable process. Reacting to
  single ups and downs inside the limits wastes effort ("tampering").
- **Special cause variation** is a signal that something different is happening. The platform uses
  the NHS Making Data Count rules:
  1. a single point **outside the process limits**;
  2. a **shift**: seven or more consecutive points all above, or all below, the mean;
  3. a **trend**: seven or more consecutive points all rising, or all falling;
  4. **two out of three** consecutive points close to a process limit (beyond two sigma) on the same side.

A special cause is not good or bad by itself: it depends on which direction is better for the measure.

## Variation icons
- **Common cause** (grey): no significant change.
- **Special cause improvement** (blue): a signal in the direction you want (falls lower, theatre
  utilisation higher).
- **Special cause concern** (orange): a signal in the direction you do not want; investigate.
- **Neutral special cause** (purple): a signal on a measure where neither direction is better.

## Assurance icons
They compare the process limits with the **target**:
- **Assurance pass** (blue): both process limits are on the right side of the target; the process
  will consistently meet the target if nothing changes.
- **Assurance fail** (orange): both process limits are on the wrong side of the target; the process
  will consistently miss the target unless the process itself is changed.
- **Hit and miss** (grey): the target lies between the limits; the process will sometimes meet it
  and sometimes not, at random. Celebrating a "hit" or chasing a "miss" is reacting to noise.

## What to do
- Common cause and hit-and-miss or fail: change the system (a QI project), do not chase single months.
- Special cause concern: find out what happened, now.
- Special cause improvement after a change: check it is sustained, then consider re-basing the limits.
- You need at least 15 to 20 points for reliable limits; with fewer, read the chart as a run chart.
$md$),

('6b1f7a52-0d4e-4c1a-9f3e-2a7d5c8e1b04', 'how-to-measure-for-improvement', 'How to measure for improvement',
 'Outcome, process and balancing measures, operational definitions, and a measurement plan that fits into the working day.',
 'guide', '{measurement,model-for-improvement,planning}', 'wtgr-programme',
$md$# How to measure for improvement

The second question of the Model for Improvement is: **how will we know that a change is an
improvement?** Measurement for improvement is not research: you need just enough data, collected
often (weekly or monthly), to see whether the changes you test are making a difference.

## A family of measures
- **Outcome measure**: the aim itself, what matters to patients and staff (falls per 1,000 bed
  days, length of stay, readmissions within 30 days). One per project, rarely two.
- **Process measures**: are the parts of the system you changed working as planned? (percentage
  of patients with a falls risk check within 6 hours of admission). They move before the outcome does.
- **Balancing measures**: what might get worse elsewhere because of your change? (time nurses
  spend on handover, bed moves, restraint use). Every change has a cost somewhere; look for it.

## Operational definitions
Write down exactly what each measure is, so that anyone collecting it gets the same figure:
- **Name** and **why** it matters.
- **Definition**: the numerator and the denominator ("inpatient falls reported on Datix" per
  "occupied bed days x 1,000"), what is included and excluded.
- **Source and collection**: where the data comes from, who collects it, when, and how often.
- **Target or goal**, and which direction is better.

## A measurement plan
- Build on data you already collect (Datix, the data warehouse, audits) before adding new forms.
- Sample when collecting by hand: ten records a week is often enough.
- Collect the baseline before you start testing changes: at least a few months.
- Plot every measure over time (a run chart, then an SPC chart once you have 15 to 20 points),
  and annotate it with the dates your PDSA cycles started.
- Share the charts with the team every week or month; they are how you learn.
$md$);

INSERT INTO resources (id, slug, title, summary, kind, tags, created_by, link) VALUES
('6b1f7a52-0d4e-4c1a-9f3e-2a7d5c8e1b05', 'making-data-count', 'Making Data Count (NHS England)',
 'NHS England''s guidance and resources on statistical process control for board reports and improvement work.',
 'guide', '{spc,making-data-count}', 'wtgr-programme', 'https://www.england.nhs.uk/publication/making-data-count/');

INSERT INTO resource_tags (tag, resource_id, kind, title)
SELECT unnest(tags), id, kind, title FROM resources WHERE created_by = 'wtgr-programme';
