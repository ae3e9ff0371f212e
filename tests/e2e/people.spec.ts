import { expect, login, logout, test } from './fixtures.js';

test('an admin adds a user (in Chinese), who signs in and changes the password (in English)', async ({ page }) => {
  const email = `new.rad.${Date.now()}@xuhui.demo`;
  const first = 'first-password-for-e2e';
  const second = 'second-password-for-e2e';

  await login(page, 'admin@xuhui.demo', 'zh-CN');
  const form = page.getByTestId('user-new');
  await form.locator('input[name=displayName]').fill('新技师');
  await form.locator('input[name=email]').fill(email);
  await form.locator('select[name=role]').selectOption('radiographer');
  await form.locator('input[name=licensed]').check();
  await form.locator('input[name=password]').fill(first);
  await page.getByTestId('user-create').click();
  const row = page.getByTestId('user-row').and(page.locator(`[data-email="${email}"]`));
  await expect(row).toContainText('技师');
  await page.screenshot({ path: test.info().outputPath('people-admin-zh-CN.png'), fullPage: true });
  await logout(page);

  await login(page, email, 'en', first);
  await page.getByTestId('go-account').click();
  const change = page.getByTestId('password-change');
  await change.locator('input[name=currentPassword]').fill(first);
  await change.locator('input[name=newPassword]').fill(second);
  await page.getByTestId('password-submit').click();
  await expect(page.getByTestId('password-changed')).toBeVisible();
  await page.screenshot({ path: test.info().outputPath('account-password-en.png'), fullPage: true });
  await logout(page);
  await login(page, email, 'en', second);
  await expect(page.getByTestId('landing-radiographer')).toBeVisible();
  await logout(page);

  // The admin makes the radiographer a referring doctor, which holds after a reload; then switches the account off.
  await login(page, 'admin@xuhui.demo', 'en');
  await row.getByTestId('user-role').selectOption('referring_doctor');
  await expect(row.getByTestId('user-role')).toHaveValue('referring_doctor');
  await page.reload();
  await expect(row.getByTestId('user-role')).toHaveValue('referring_doctor');
  await row.getByTestId('user-licensed').uncheck();
  await expect(row.getByTestId('user-licensed')).not.toBeChecked();
  await row.getByTestId('user-toggle').click();
  await expect(row).toContainText('Disabled');
});
