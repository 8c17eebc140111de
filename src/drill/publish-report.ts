// What every drill scenario does with its finished report: append it to the bucket's drill history (the only
// object a drill ever writes there) and post it to the webhook. A failure to record is reported, never turns
// the drill's result.

import { errorText } from '../common/steps.js';
import { drillSummary } from './drill-format.js';
import { appendHistory } from './drill-history.js';
import type { DrillReport } from './drill-types.js';
import { notifyWebhook } from './notify.js';
import type { DrillOptions } from './run-drill.js';

export async function publishReport(o: DrillOptions, report: DrillReport): Promise<DrillReport> {
  return publishDrillReport(report, {
    append: (o.recordHistory ?? true) ? (r) => appendHistory(o.store, r, o.signal) : undefined,
    notifyUrl: o.notifyUrl,
    signal: o.signal,
    onNotify: () => o.onStage?.('notify'),
  });
}

/** Any drill's (host or Kubernetes): `append` writes the history object and returns its key. */
export async function publishDrillReport(
  report0: DrillReport,
  o: {
    readonly append?: ((report: DrillReport) => Promise<string>) | undefined;
    readonly notifyUrl?: string | undefined;
    readonly signal?: AbortSignal | undefined;
    readonly onNotify?: () => void;
  },
): Promise<DrillReport> {
  let report = report0;
  if (o.append) {
    try {
      report = { ...report, historyKey: await o.append(report) };
    } catch (e) {
      o.signal?.throwIfAborted();
      report = { ...report, historyKey: null, historyProblem: errorText(e) };
    }
  }
  if (o.notifyUrl !== undefined) {
    o.onNotify?.();
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
