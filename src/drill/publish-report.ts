// What every drill scenario does with its finished report: append it to the bucket's drill history (the only
// object a drill ever writes there) and post it to the webhook. A failure to record is reported, never turns
// the drill's result.

import { errorText } from '../common/steps.js';
import { drillSummary } from './drill-format.js';
import { appendHistory } from './drill-history.js';
import type { DrillReport } from './drill-types.js';
import { notifyWebhook } from './notify.js';
import type { DrillOptions } from './run-drill.js';

export async function publishReport(o: DrillOptions, report0: DrillReport): Promise<DrillReport> {
  let report = report0;
  if (o.recordHistory ?? true) {
    try {
      report = { ...report, historyKey: await appendHistory(o.store, report, o.signal) };
    } catch (e) {
      o.signal?.throwIfAborted();
      report = { ...report, historyKey: null, historyProblem: errorText(e) };
    }
  }
  if (o.notifyUrl !== undefined) {
    o.onStage?.('notify');
    report = {
      ...report,
      notification: await notifyWebhook({
        url: o.notifyUrl,
        body: { text: drillSummary(report), ...report },
        signal: o.signal,
      }),
    };
  }
  return report;
}
