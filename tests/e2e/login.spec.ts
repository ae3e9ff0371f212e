import { readFileSync } from 'node:fs';

import { expect, login, logout, test } from './fixtures.js';

const roles = [
  { email: 'specialist@scc.demo', role: 'specialist', en: 'Worklist', zh: '工作列表', hospital: 'Shanghai Cancer Center (demo)' },
  { email: 'admin@scc.demo', role: 'admin', en: 'Hospital administration', zh: '医院管理', hospital: 'Shanghai Cancer Center (demo)' },
  { email: 'rad@xuhui.demo', role: 'radiographer', en: 'Uploads and consults', zh: '上传与会诊', hospital: 'Xuhui District Hospital (demo)' },
  { email: 'doctor@xuhui.demo', role: 'referring_doctor', en: 'Results for my hospital', zh: '本院诊断结果', hospital: 'Xuhui District Hospital (demo)' },
  { email: 'admin@xuhui.demo', role: 'admin', en: 'Hospital administration', zh: '医院管理', hospital: 'Xuhui District Hospital (demo)' },
  { email: 'rad@minhang.demo', role: 'radiographer', en: 'Uploads and consults', zh: '上传与会诊', hospital: 'Minhang District Hospital (demo)' },
  { email: 'doctor@minhang.demo', role: 'referring_doctor', en: 'Results for my hospital', zh: '本院诊断结果', hospital: 'Minhang District Hospital (demo)' },
] as const;

for (const account of roles) {
  test(`${account.email} logs in and sees the ${account.role} landing page in English and Chinese`, async ({ page }) => {
    await login(page, account.email, 'en');
    const landing = page.getByTestId(`landing-${account.role}`);
    await expect(landing.locator('h1')).toHaveText(account.en);
    await expect(page.getByTestId('who')).toContainText(account.hospital);

    await page.locator('[data-language="zh-CN"]').click();
    await expect(landing.locator('h1')).toHaveText(account.zh);
    await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN');

    // The choice survives a reload, and so does the session.
    await page.reload();
    await expect(page.getByTestId(`landing-${account.role}`).locator('h1')).toHaveText(account.zh);

    if (account.role === 'admin') {
      await expect(page.getByTestId('user-list')).toContainText(account.email);
    }
    await logout(page);
    await expect(page.locator('input[name="email"]')).toBeVisible();
  });
}

test('a wrong password shows an error in the chosen language and signs nobody in', async ({ page }) => {
  await page.goto('/');
  await page.locator('[data-language="zh-CN"]').click();
  await page.locator('input[name="email"]').fill('rad@xuhui.demo');
  await page.locator('input[name="password"]').fill('not-the-password');
  // The 401 the browser logs for the failed login is expected here.
  page.removeAllListeners('console');
  await page.locator('button[type="submit"]').click();
  await expect(page.getByTestId('login-error')).toHaveText('邮箱或密码错误。');
});

test('the server log holds no password, token or cookie', async ({ page }) => {
  await login(page, 'doctor@xuhui.demo');
  await expect(page.getByTestId('landing-referring_doctor')).toBeVisible();
  const cookies = await page.context().cookies();
  const session = cookies.find((c) => c.name === 'yz_session');
  expect(session?.httpOnly).toBe(true);
  const log = readFileSync(process.env.YUNZHEN_SERVER_LOG!, 'utf8');
  expect(log).toContain('"path":"/api/auth/login"');
  expect(log).not.toContain('yunzhen-demo');
  expect(log).not.toContain('not-the-password');
  expect(log).not.toContain(session!.value);
});

test('an unknown address says so in the chosen language, with a way back', async ({ page }) => {
  await login(page, 'rad@xuhui.demo', 'zh-CN');
  await page.goto('/no-such-page');
  await expect(page.getByTestId('page-not-found')).toContainText('此地址没有页面');
  await page.getByTestId('page-not-found').locator('a').click();
  await expect(page.getByTestId('page-not-found')).toHaveCount(0);
});
