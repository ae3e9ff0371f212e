import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

import { expect, login, logout, test } from './fixtures.js';

/** A hospital's receiving system on this machine: records what arrives and answers 204. */
async function startReceiver() {
  const received: { headers: IncomingHttpHeaders; body: string }[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.statusCode = 204;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/yunzhen-hook`;
  return { url, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

test('a hospital admin sets up the report webhook (in Chinese), rotates the secret, sends a test and sees it delivered', async ({ page }, testInfo) => {
  const receiver = await startReceiver();
  try {
    await login(page, 'admin@xuhui.demo', 'zh-CN');
    await page.getByTestId('go-webhook').click();
    const form = page.getByTestId('webhook-form');
    await expect(page.getByTestId('webhook-page')).toContainText('报告 Webhook 推送');

    await form.locator('input[name=url]').fill(receiver.url);
    await form.locator('input[name=enabled]').check();
    await page.getByTestId('webhook-save').click();
    await expect(page.getByTestId('webhook-saved')).toBeVisible();

    // A new secret, shown this once with a copy button and the warning.
    const secretBox = page.getByTestId('webhook-secret');
    const shown = page.getByTestId('webhook-secret-value');
    const before = (await shown.isVisible()) ? await shown.inputValue() : '';
    await page.getByTestId('webhook-rotate').click();
    await expect(shown).not.toHaveValue(before);
    const secret = await shown.inputValue();
    expect(secret).toMatch(/^whsec_/);
    await expect(secretBox).toContainText('不会再次显示');
    await expect(page.getByTestId('webhook-copy')).toBeVisible();

    await page.getByTestId('webhook-test').click();
    await expect(page.getByTestId('webhook-test-result')).toHaveAttribute('data-delivered', 'true');
    await expect(page.getByTestId('webhook-test-result')).toContainText('测试已送达');
    const row = page.getByTestId('webhook-delivery').first();
    await expect(row).toHaveAttribute('data-status', 'delivered');
    await expect(row).toContainText('已送达');
    await expect(row).toContainText('测试事件');
    await expect(row).toContainText('HTTP 204');

    // The receiver got the test event, signed with the secret just shown, about no patient.
    expect(receiver.received).toHaveLength(1);
    const { headers, body } = receiver.received[0]!;
    expect(headers['x-yunzhen-event']).toBe('webhook.test');
    expect(headers['x-yunzhen-delivery']).toBe(await row.getAttribute('data-id'));
    const [, stamp, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(headers['x-yunzhen-signature']))!;
    expect(v1).toBe(createHmac('sha256', secret).update(`${stamp}.${body}`).digest('hex'));
    expect(Object.keys(JSON.parse(body)).sort()).toEqual(['deliveryId', 'event', 'occurredAt', 'test']);
    await page.screenshot({ path: testInfo.outputPath('webhook-admin-zh-CN.png'), fullPage: true });

    await page.locator('[data-language="en"]').click();
    await expect(row).toContainText('Delivered');
    await expect(row).toContainText('Test event');
    await expect(secretBox).toContainText('will not be shown again');
    await page.screenshot({ path: testInfo.outputPath('webhook-admin-en.png'), fullPage: true });

    // Reloaded, the page shows the address but never the secret again.
    await page.reload();
    await expect(page.getByTestId('webhook-form').locator('input[name=url]')).toHaveValue(receiver.url);
    await expect(page.getByTestId('webhook-delivery').first()).toHaveAttribute('data-status', 'delivered');
    await expect(page.getByTestId('webhook-secret')).toHaveCount(0);
    expect(await page.content()).not.toContain(secret);

    // Switched off again, so later tests' signed reports are not queued for a receiver that is gone.
    await page.getByTestId('webhook-form').locator('input[name=enabled]').uncheck();
    await page.getByTestId('webhook-save').click();
    await expect(page.getByTestId('webhook-saved')).toBeVisible();
    await logout(page);
  } finally {
    await receiver.close();
  }
});
