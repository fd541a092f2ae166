import { z } from 'zod';

/** `limit`/`offset` paging of a list that can grow. */
export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50).describe('Page size, 1–200'),
  offset: z.coerce.number().int().min(0).max(1_000_000_000).default(0).describe('Items to skip'),
});

/** One page of a list: its items, how many match over all pages, and the paging asked for. */
export function pageOf<T extends z.ZodType>(item: T, totalDescription = 'Items over all pages') {
  return z.object({
    items: z.array(item),
    total: z.number().int().describe(totalDescription),
    limit: z.number().int(),
    offset: z.number().int(),
  });
}
