import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readCitizenId } from '../../src/exchange/lookup/citizen-ref.ts';

/** The 13-digit ID as officials type it: Thai or full-width digits, dashes and spaces of any kind; anything else refused. */
const ID = '1101700230708';

test('Thai digits, full-width digits and the dashes word processors make are read as the ID', () => {
  for (const typed of ['๑๑๐๑๗๐๐๒๓๐๗๐๘', '๑-๑๐๑๗-๐๐๒๓๐-๗๐-๘', '１１０１７００２３０７０８', '1\u20131017\u201300230\u201370\u20138', '1\u22121017\u221200230\u221270\u22128', ' 1 1017 00230 70 8 ', '1\u00a01017\u00a000230\u00a070\u00a08', '๑1๐1๗0๐2๓0๗0๘']) {
    assert.equal(readCitizenId(typed), ID, JSON.stringify(typed));
  }
});

test('a wrong check digit, 12 or 14 digits, letters, other scripts\' digits and junk around it are refused', () => {
  for (const typed of ['1101700230709', '110170023070', '11017002307080', 'x1101700230708', '1101700230708x', '1101700230708.', '+1101700230708', '١١٠١٧٠٠٢٣٠٧٠٨', '१११०', '', '-------------', '1101700230708\u0000', 1101700230708, null, ['1101700230708']]) {
    assert.equal(readCitizenId(typed), null, JSON.stringify(typed));
  }
});
