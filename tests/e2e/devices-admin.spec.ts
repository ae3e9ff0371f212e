import { execFile } from 'node:child_process';

import { expect, login, test, watchPageErrors } from './fixtures.js';

const echoscu = (callingAe: string, port: string) =>
  new Promise<number>((resolve) => {
    execFile('echoscu', ['-aet', callingAe, '-aec', 'YUNZHEN', '127.0.0.1', port], { timeout: 60_000 }, (error) => resolve(error ? 1 : 0));
  });

test('a hospital admin registers a DICOM device (in Chinese), after which it may send; a bad address is refused with a reason', async ({ browser, baseURL }) => {
  const page = await (await browser.newContext({ baseURL })).newPage();
  const problems = watchPageErrors(page);
  const port = process.env.YUNZHEN_DICOM_PORT!;
  expect(port).toMatch(/^\d+$/);
  expect(await echoscu('E2E_CT', port)).not.toBe(0);

  await login(page, 'admin@xuhui.demo', 'zh-CN');
  await page.getByTestId('go-devices').click();
  await expect(page.getByTestId('devices-page')).toContainText('DICOM 设备');
  await expect(page.getByTestId('devices-empty')).toContainText('尚未登记设备');

  const form = page.getByTestId('device-form');
  await form.locator('input[name=name]').fill('CT 机房 1');
  await form.locator('input[name=aeTitle]').fill('E2E_CT');
  await form.locator('input[name=cidrs]').fill('10.0.0.0/33');
  await page.getByTestId('device-save').click();
  await expect(page.getByTestId('devices-error')).toBeVisible();
  expect(await echoscu('E2E_CT', port)).not.toBe(0);

  await form.locator('input[name=cidrs]').fill('127.0.0.1, ::1');
  await page.getByTestId('device-save').click();
  await expect(page.getByTestId('device-saved')).toBeVisible();
  const row = page.getByTestId('device-row');
  await expect(row).toHaveCount(1);
  await expect(row).toContainText('E2E_CT');
  await expect(row).toContainText('127.0.0.1, ::1');
  await expect(row).toContainText('已启用');
  expect(await echoscu('E2E_CT', port)).toBe(0);

  // Disabled in the page: refused again.
  await row.getByRole('button', { name: '停用' }).click();
  await expect(row).toContainText('已停用');
  expect(await echoscu('E2E_CT', port)).not.toBe(0);
  // The one 400 is the refused address, shown on the page above.
  expect(problems.filter((p) => !/status of 400/.test(p))).toEqual([]);
  expect(problems).toHaveLength(1);
});

test('a hospital admin gives a device a rule that sends its studies to the reading centre by itself; TLS is offered only when the server has it', async ({ browser, baseURL }) => {
  const page = await (await browser.newContext({ baseURL })).newPage();
  const problems = watchPageErrors(page);
  await login(page, 'admin@xuhui.demo', 'en');
  await page.getByTestId('go-devices').click();

  const form = page.getByTestId('device-form');
  await form.locator('input[name=name]').fill('MR room 2');
  await form.locator('input[name=aeTitle]').fill('E2E_MR_RULE');
  await form.locator('input[name=cidrs]').fill('127.0.0.1');
  // This server has no DICOM_TLS_CERT: the choice is shown but cannot be made.
  await expect(form.locator('input[name=tls]')).toBeDisabled();
  await expect(form).toContainText('DICOM TLS is not configured on this server');

  await form.locator('input[name=rule]').check();
  const rule = page.getByTestId('device-rule');
  await rule.locator('select[name=ruleCentre]').selectOption({ label: 'Shanghai Cancer Center (demo)' });
  await rule.locator('select[name=rulePriority]').selectOption('urgent');
  await rule.locator('input[name=ruleQuiet]').fill('60');
  await rule.locator('input[name=ruleQuestion]').fill('MR brain: please read');
  await rule.locator('select[name=ruleOnBehalfOf]').selectOption({ label: 'Li Na (radiographer)' });
  await page.getByTestId('device-save').click();
  await expect(page.getByTestId('device-saved')).toBeVisible();
  const row = page.getByTestId('device-row').filter({ hasText: 'E2E_MR_RULE' });
  await expect(row).toContainText('consult to Shanghai Cancer Center (demo) after 60 s');

  // Opened again for editing, the rule is as saved.
  await row.getByRole('button', { name: 'Edit' }).click();
  await expect(rule.locator('input[name=ruleQuestion]')).toHaveValue('MR brain: please read');
  await expect(rule.locator('select[name=rulePriority]')).toHaveValue('urgent');
  expect(problems).toEqual([]);
});
