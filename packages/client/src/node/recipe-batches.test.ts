import { describe, expect, it } from 'vitest';
import { MAX_RECIPE_BATCH_IDS, MAX_RECIPES_PER_BATCH } from '@steward/core';
import type { FileRecipe } from './chunk-file.ts';
import { recipeBatches } from './push.ts';

const recipe = (name: string, chunks: number): FileRecipe => ({ sha256: name, size: chunks, chunks: Array.from({ length: chunks }, (_, i) => ({ id: `${name}-${i}`, offset: i, length: 1 })) });
const shape = (groups: FileRecipe[][]) => groups.map((g) => g.map((r) => r.sha256));

describe('recipeBatches (groups for POST /blobs/recipes)', () => {
  it('keeps order, and cuts at the recipe count and at the id count', () => {
    const many = Array.from({ length: MAX_RECIPES_PER_BATCH + 3 }, (_, i) => recipe(`r${i}`, 1));
    const groups = [...recipeBatches(many)];
    expect(groups.map((g) => g.length)).toEqual([MAX_RECIPES_PER_BATCH, 3]);
    expect(groups.flat()).toEqual(many);
    const half = MAX_RECIPE_BATCH_IDS / 2;
    expect(shape([...recipeBatches([recipe('a', half), recipe('b', half), recipe('c', 1)])])).toEqual([['a', 'b'], ['c']]);
    expect(shape([...recipeBatches([recipe('a', half), recipe('b', half + 1), recipe('c', 1)])])).toEqual([['a'], ['b', 'c']]);
  });

  it('gives a recipe longer than any batch a group of its own, between the others', () => {
    const groups = [...recipeBatches([recipe('a', 2), recipe('huge', MAX_RECIPE_BATCH_IDS + 1), recipe('b', 2)])];
    expect(shape(groups)).toEqual([['huge'], ['a', 'b']]);
    expect([...recipeBatches([])]).toEqual([]);
  });
});
