import { describe, expect, it } from 'vitest';
import { diskLine } from './storage.ts';

const GB = 1e9;
describe('diskLine', () => {
  const places = (objects: number | null, database: number) => [
    { place: 'objects', freeBytes: objects },
    { place: 'database', freeBytes: database },
  ];
  it('says where space is free and what uploads leave', () => {
    expect(diskLine({ minFreeBytes: 0.5 * GB, places: places(12.3 * GB, 40 * GB) })).toBe('disk: objects 12.3 GB free, database 40.0 GB free; uploads leave 500.0 MB');
  });
  it('flags LOW under twice the reserve and FULL under it, by the emptiest place', () => {
    expect(diskLine({ minFreeBytes: GB, places: places(40 * GB, 1.5 * GB) })).toMatch(/\(LOW: pushes of new data will be refused soon/);
    expect(diskLine({ minFreeBytes: GB, places: places(0.2 * GB, 40 * GB) })).toMatch(/\(FULL: pushes of new data are refused/);
    expect(diskLine({ minFreeBytes: GB, places: places(null, 40 * GB) })).toBe('disk: objects unknown, database 40.0 GB free; uploads leave 1.0 GB');
  });
  it('says when there is no reserve', () => {
    expect(diskLine({ minFreeBytes: 0, places: places(0, 0) })).toBe('disk: objects 0 B free, database 0 B free; no reserve (STEWARD_MIN_FREE_MIB=0)');
  });
});
