import { readSample, rewriteInstances, seedConsult, type SeededConsult } from '@yunzhen/server/testing';

import { expect, login, test } from './fixtures.js';

const baseUrl = () => process.env.YUNZHEN_URL!;

test.describe.serial('the specialist worklist', () => {
  const tag = `wl-${Date.now()}`;
  let routine: SeededConsult;
  let stat: SeededConsult;

  test.beforeAll(async () => {
    const mr = rewriteInstances(Array.from({ length: 4 }, (_, i) => readSample(`studies/mr-16slice/MR${String(i + 5).padStart(2, '0')}.dcm`)), { freshUids: true });
    routine = await seedConsult(baseUrl(), mr, { clinicalQuestion: `Headache, MR follow-up ${tag}`, priority: 'routine' });
    stat = await seedConsult(baseUrl(), rewriteInstances([readSample('modalities/PT_acrin_flt_breast_1.dcm')], { freshUids: true }), { clinicalQuestion: `Staging PET ${tag}`, priority: 'stat' });
  });

  test('lists consults stat first with modality, question, hospital and waiting time; filters and search narrow it', async ({ page }) => {
    await login(page, 'specialist@scc.demo');
    await page.getByTestId('worklist-search').fill(tag);
    const rows = page.getByTestId('consult-row');
    await expect(rows).toHaveCount(2);
    await expect(rows.nth(0)).toHaveAttribute('data-id', stat.id);
    await expect(rows.nth(0)).toContainText('STAT');
    await expect(rows.nth(0)).toContainText('PT');
    await expect(rows.nth(0)).toContainText('Xuhui District Hospital (demo)');
    await expect(rows.nth(0).getByTestId('waiting')).toContainText('min');
    await expect(rows.nth(1)).toContainText('Headache, MR follow-up');
    await expect(page.getByTestId('consult-list')).toContainText(/ANONYMOUS YZ/);

    await page.getByTestId('filter-priority').selectOption('routine');
    await expect(rows).toHaveCount(1);
    await expect(rows.first()).toHaveAttribute('data-id', routine.id);
    await page.getByTestId('filter-priority').selectOption('all');
    await page.getByTestId('filter-modality').selectOption('PT');
    await expect(rows).toHaveCount(1);
    await expect(rows.first()).toHaveAttribute('data-id', stat.id);
    await page.getByTestId('filter-modality').selectOption('all');
    await page.getByTestId('sort').selectOption('waiting');
    await expect(rows.first()).toHaveAttribute('data-id', routine.id);
  });

  test('the idle worklist readies the reader: its image decoder starts before a consult is opened', async ({ page }) => {
    const decoder = page.waitForRequest((request) => /decodeImageFrameWorker/.test(request.url()), { timeout: 30_000 });
    await login(page, 'specialist@scc.demo');
    await expect(page.getByTestId('consult-row').first()).toBeVisible();
    await decoder;
    expect(page.url()).not.toContain('/read');
  });

  test('keyboard: arrows move, C claims and releases, Enter opens the viewer', async ({ page }) => {
    await login(page, 'specialist@scc.demo');
    await page.getByTestId('worklist-search').fill(tag);
    const rows = page.getByTestId('consult-row');
    await expect(rows).toHaveCount(2);
    await page.keyboard.press('Escape');
    await expect(rows.nth(0)).toHaveAttribute('aria-selected', 'true');
    await page.keyboard.press('ArrowDown');
    await expect(rows.nth(1)).toHaveAttribute('aria-selected', 'true');
    await page.keyboard.press('c');
    await expect(rows.nth(1).getByTestId('consult-status')).toHaveText('In progress');
    await expect(rows.nth(1).getByTestId('claimed-by')).toContainText('me');
    // Claimed consults stay in the default "open" view; reload shows the server's state.
    await page.reload();
    await page.getByTestId('worklist-search').fill(tag);
    const claimed = page.getByTestId('consult-row').filter({ has: page.getByTestId('claimed-by') });
    await expect(claimed).toHaveAttribute('data-id', routine.id);
    await claimed.getByTestId('release').click();
    await expect(page.locator(`[data-id="${routine.id}"]`).getByTestId('consult-status')).toHaveText('New');
    await page.keyboard.press('Escape');
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('Enter');
    await expect(page).toHaveURL(new RegExp(`/consults/${stat.id}/read$`));
    await expect(page.getByTestId('viewport').first()).toHaveAttribute('data-loading', 'false', { timeout: 20_000 });
  });

  test('the worklist and viewer speak Chinese', async ({ page }) => {
    await login(page, 'specialist@scc.demo', 'zh-CN');
    await expect(page.getByTestId('landing-specialist').locator('h1')).toHaveText('工作列表');
    await page.getByTestId('worklist-search').fill(tag);
    await expect(page.getByTestId('consult-row').first()).toContainText('认领');
    await expect(page.getByTestId('who')).toBeVisible();
    await page.goto(`/consults/${routine.id}/read`);
    await expect(page.getByTestId('tool-Length')).toHaveText('长度');
    await expect(page.getByTestId('viewport').first()).toHaveAttribute('data-loading', 'false', { timeout: 20_000 });
    await page.keyboard.press('?');
    await expect(page.getByTestId('help-panel')).toContainText('快捷键');
  });
});
