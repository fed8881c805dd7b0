// Page object for the Feed page and profile pages (docs/protocol.md §7): the composer, posts with
// reactions and comments, circles.
import { expect, type Locator, type Page } from '@playwright/test';

export class FeedPage {
  constructor(readonly page: Page) {}

  async open(): Promise<void> {
    await this.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Feed' }).click();
    await expect(this.page.getByRole('heading', { level: 1, name: 'Feed' })).toBeVisible();
    await expect(this.page.getByTestId('post-submit')).toBeAttached({ timeout: 90_000 });
  }

  /** Posts `text` to all friends, or to the circle named `circle`; waits until it shows in our feed. */
  async post(text: string, circle?: string, pictures: string[] = []): Promise<void> {
    await this.page.getByTestId('post-text').fill(text);
    // The composer keeps the last audience chosen (so nobody posts wider by accident): always set it.
    const select = this.page.getByTestId('post-audience');
    const value = circle ? await select.locator('option', { hasText: circle }).getAttribute('value') : '';
    await select.selectOption(value ?? '');
    if (pictures.length > 0) {
      await this.page.getByTestId('post-picture-input').setInputFiles(pictures);
      await expect(this.page.locator('[data-testid="post-composer"] img')).toHaveCount(pictures.length, {
        timeout: 30_000,
      });
    }
    await expect(this.page.getByTestId('post-submit')).toBeEnabled({ timeout: 90_000 });
    await this.page.getByTestId('post-submit').click();
    await expect(this.postWith(text)).toBeVisible({ timeout: 30_000 });
    await expect(this.page.getByTestId('post-text')).toHaveValue('');
  }

  postWith(text: string): Locator {
    return this.page
      .getByTestId('post')
      .filter({ has: this.page.getByTestId('post-text-shown').getByText(text, { exact: true }) });
  }

  async waitForPost(text: string, timeout = 180_000): Promise<Locator> {
    const p = this.postWith(text);
    await expect(p).toBeVisible({ timeout });
    return p;
  }

  async postTexts(): Promise<string[]> {
    return this.page.getByTestId('post-text-shown').allTextContents();
  }

  async comment(postText: string, text: string): Promise<void> {
    const p = await this.waitForPost(postText);
    await p.getByTestId('comment-input').fill(text);
    await p.getByTestId('comment-send').click();
    await expect(p.getByTestId('comment-text').getByText(text, { exact: true })).toBeVisible();
  }

  async react(postText: string, emoji: 'like' | 'love' | 'haha' | 'wow' | 'sad'): Promise<void> {
    const p = await this.waitForPost(postText);
    await p.getByTestId(`react-${emoji}`).click();
    await expect(p.getByTestId(`react-${emoji}`)).toHaveAttribute('aria-pressed', 'true');
  }

  async waitForComment(postText: string, text: string, timeout = 180_000): Promise<void> {
    const p = await this.waitForPost(postText, timeout);
    await expect(p.getByTestId('comment-text').getByText(text, { exact: true })).toBeVisible({ timeout });
  }

  async waitForReactionCount(postText: string, emoji: string, n: number, timeout = 180_000): Promise<void> {
    const p = await this.waitForPost(postText, timeout);
    await expect(p.getByTestId(`react-count-${emoji}`)).toHaveText(String(n), { timeout });
  }

  async deletePost(text: string): Promise<void> {
    const p = await this.waitForPost(text);
    await p.getByTestId('post-delete').click();
    await p.getByTestId('post-delete-confirm').click();
    await expect(this.postWith(text)).toHaveCount(0);
  }

  async editPost(text: string, next: string): Promise<void> {
    const p = await this.waitForPost(text);
    await p.getByTestId('post-edit').click();
    // In edit mode the card shows a text box instead of its text, so `p` no longer matches it.
    const editing = this.page.getByTestId('post').filter({ has: this.page.getByTestId('post-edit-text') });
    await editing.getByTestId('post-edit-text').fill(next);
    await editing.getByTestId('post-edit-save').click();
    await expect(this.postWith(next)).toBeVisible();
  }

  /** Creates a circle, or sets an existing one's members. */
  async setCircle(name: string, members: string[]): Promise<void> {
    const existing = this.page.getByTestId('circle').and(this.page.locator(`[data-circle-name="${name}"]`));
    if ((await existing.count()) > 0) await existing.getByTestId('circle-edit').click();
    else await this.page.getByTestId('circle-new').click();
    const form = this.page.getByTestId('circle-form');
    await form.getByTestId('circle-name').fill(name);
    for (const box of await form.getByTestId('circle-member').all()) {
      const who = (await box.getAttribute('data-member-name')) ?? '';
      if (members.includes(who)) await box.check();
      else await box.uncheck();
    }
    await form.getByTestId('circle-save').click();
    await expect(form).toHaveCount(0);
    await expect(existing.or(this.page.locator(`[data-circle-name="${name}"]`)).first()).toContainText(
      `${members.length} friend`,
    );
  }
}
