/**
 * A multiset of numbers kept in ascending order, for nearest-rank percentiles read in
 * O(1). Inserts and removals are a binary search and a splice: cheap for the few rows
 * a window gains or loses between two reads, and a full load sorts once.
 */
export class SortedNumbers {
  private values: number[] = [];

  get size(): number {
    return this.values.length;
  }

  /** Replaces the contents (one sort instead of n inserts). */
  load(values: number[]): void {
    this.values = values.slice().sort((a, b) => a - b);
  }

  insert(value: number): void {
    this.values.splice(this.lowerBound(value), 0, value);
  }

  /** Removes one occurrence; false when the value is not there. */
  remove(value: number): boolean {
    const at = this.lowerBound(value);
    if (this.values[at] !== value) return false;
    this.values.splice(at, 1);
    return true;
  }

  /** The value at rank ceil(p·n) in ascending order (p in 0..1]); undefined when empty. */
  nearestRank(p: number): number | undefined {
    if (this.values.length === 0) return undefined;
    const rank = Math.max(1, Math.ceil(p * this.values.length));
    return this.values[rank - 1];
  }

  private lowerBound(value: number): number {
    let low = 0;
    let high = this.values.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.values[mid]! < value) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}
