import type { Alert } from '../../../domain/index.ts';
import type { OdContext } from '../context.ts';

/**
 * The one gate every public alert output passes (issue 5 §4): status Actual AND marked public
 * by the policy. Test, Exercise, System and Draft alerts never appear, whatever the policy says
 * about them being public (MISSION: in 2025 a consumer ignored <status>Test</status>).
 */
function isPublicAlert(ctx: OdContext, a: Alert): boolean {
  return ctx.alerts.status(a) === 'Actual' && ctx.alerts.isPublic(a);
}

/** Resolved alerts stay in the feed this long, as Cancel messages, so consumers see the all-clear. */
export const CANCEL_VISIBLE_MS = 24 * 3_600_000;

/** Current public alerts: open or acknowledged, plus those resolved in the last 24 h. */
export async function currentPublicAlerts(ctx: OdContext, limit = 5000): Promise<Alert[]> {
  const now = ctx.now();
  const rows = await ctx.store.alerts({ from: now - CANCEL_VISIBLE_MS, limit });
  return rows.filter((a) => isPublicAlert(ctx, a) && (a.state !== 'resolved' || (a.resolvedAt ?? a.updatedAt) >= now - CANCEL_VISIBLE_MS));
}
