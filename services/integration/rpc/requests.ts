import { z } from "zod";
import { boundedString, pageSize } from "../../../shared/rpc/validate.js";

export const MERGES_PAGE = { fallback: 50, max: 500 } as const;

export const getIntegrationStatusRequest = z.object({});

export const listMergesRequest = z.object({
  pageSize: pageSize(MERGES_PAGE),
  // Passed on to the queue, which checks it is a token it issued.
  pageToken: boundedString("page token", 200, { required: false }),
});
