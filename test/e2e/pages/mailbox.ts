// Page object for Settings › Mailboxes (docs/protocol.md §5): who holds my mail (auto or chosen, each
// holder's answer), "Check for mail now", and the mail this node holds for friends.
import { expect, type Locator, type Page } from '@playwright/test';

export type HolderState = 'asked' | 'holding' | 'refused';

export class MailboxPage {
  constructor(readonly page: Page) {}

  /** Goes to Settings through the main navigation and waits for the Mailboxes section. */
  async open(): Promise<void> {
    await this.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
    await expect(this.page.getByRole('heading', { level: 1, name: 'Settings' })).toBeVisible();
    await expect(this.section()).toBeVisible();
  }

  section(): Locator {
    return this.page.getByTestId('mailbox-settings');
  }

  /** Waits until the engine runs and the mailbox status was read (the holder choice is shown). */
  async waitReady(timeout = 90_000): Promise<void> {
    await expect(this.autoOption()).toBeVisible({ timeout });
  }

  /** The "Let Chattor choose" radio. */
  autoOption(): Locator {
    return this.page.getByTestId('mailbox-auto');
  }

  /** The "Friends I choose" radio. */
  chosenOption(): Locator {
    return this.page.getByTestId('mailbox-chosen');
  }

  async isAuto(): Promise<boolean> {
    return this.autoOption().isChecked();
  }

  /**
   * A holder row, by contact id (Friends › friend item `data-contact-id`). Carries `data-state`: asked,
   * holding, refused, or none (a friend not asked, in the chosen list); and `data-chosen` in that list.
   */
  holder(contactId: string): Locator {
    return this.page.getByTestId(`mailbox-holder-${contactId}`);
  }

  async holderState(contactId: string): Promise<HolderState | 'none'> {
    return (await this.holder(contactId).getAttribute('data-state')) as HolderState | 'none';
  }

  async waitHolderState(contactId: string, state: HolderState, timeout = 120_000): Promise<void> {
    await expect(this.holder(contactId)).toHaveAttribute('data-state', state, { timeout });
  }

  saveButton(): Locator {
    return this.page.getByTestId('mailbox-save');
  }

  /** The confirmation after saving (a status region, empty before). */
  saved(): Locator {
    return this.page.getByTestId('mailbox-saved');
  }

  error(): Locator {
    return this.page.getByTestId('mailbox-error');
  }

  /** Switches to automatic holders and saves (nothing to save if already automatic). */
  async useAuto(): Promise<void> {
    await this.waitReady();
    if (await this.isAuto()) return;
    await this.autoOption().check();
    await this.save();
  }

  /** Switches to "Friends I choose" with exactly these friends (at most 5) and saves. */
  async chooseHolders(contactIds: string[]): Promise<void> {
    await this.waitReady();
    await this.chosenOption().check();
    const rows = this.section().locator('[data-testid^="mailbox-holder-"][data-chosen]');
    // Unpick first, so the 5-friend limit never disables a box we want.
    for (const row of await rows.all()) {
      const id = (await row.getAttribute('data-testid'))!.slice('mailbox-holder-'.length);
      if (!contactIds.includes(id)) await row.getByRole('checkbox').uncheck();
    }
    for (const id of contactIds) await this.holder(id).getByRole('checkbox').check();
    if (await this.saveButton().isEnabled()) await this.save();
  }

  async save(): Promise<void> {
    await this.saveButton().click();
    await expect(this.saved()).toHaveText(/^Saved/, { timeout: 30_000 });
  }

  fetchButton(): Locator {
    return this.page.getByTestId('mailbox-fetch');
  }

  /** The result of "Check for mail now" (`data-count` = envelopes collected, empty before). */
  fetchResult(): Locator {
    return this.page.getByTestId('mailbox-fetch-result');
  }

  /** Presses "Check for mail now" and resolves with the number of envelopes collected. */
  async fetchNow(timeout = 120_000): Promise<number> {
    await this.waitReady();
    await this.fetchButton().click();
    await expect(this.fetchResult()).toHaveAttribute('data-count', /^\d+$/, { timeout });
    return Number(await this.fetchResult().getAttribute('data-count'));
  }

  /** The "Hold mail for my friends" checkbox (a preference, on by default). */
  holdForFriends(): Locator {
    return this.page.getByTestId('mailbox-hold-for-friends');
  }

  async setHoldForFriends(on: boolean): Promise<void> {
    await this.holdForFriends().setChecked(on);
  }

  /** How many friends this node holds mail for (`data-count`; the text names them). */
  hosting(): Locator {
    return this.page.getByTestId('mailbox-hosting');
  }

  async hostingCount(timeout = 30_000): Promise<number> {
    await expect(this.hosting()).toBeVisible({ timeout });
    return Number(await this.hosting().getAttribute('data-count'));
  }

  async waitHostingCount(n: number, timeout = 120_000): Promise<void> {
    await expect(this.hosting()).toHaveAttribute('data-count', String(n), { timeout });
  }

  /** What the gateway stores: `data-value` holds the raw number (envelopes, bytes, oldestAt ms or ''). */
  heldEnvelopes(): Locator {
    return this.page.getByTestId('mailbox-held-envelopes');
  }

  heldBytes(): Locator {
    return this.page.getByTestId('mailbox-held-bytes');
  }

  heldOldest(): Locator {
    return this.page.getByTestId('mailbox-held-oldest');
  }

  async heldEnvelopeCount(timeout = 30_000): Promise<number> {
    await expect(this.heldEnvelopes()).toBeVisible({ timeout });
    return Number(await this.heldEnvelopes().getAttribute('data-value'));
  }

  /** Waits until the gateway reports `n` envelopes (the section re-reads every 30 s and on changes). */
  async waitHeldEnvelopes(n: number, timeout = 120_000): Promise<void> {
    await expect(this.heldEnvelopes()).toHaveAttribute('data-value', String(n), { timeout });
  }

  /** "You can leave mail for …": how many friends' mailboxes this node knows. */
  async waitMailToCount(n: number, timeout = 120_000): Promise<void> {
    await expect(this.page.getByTestId('mailbox-mailto')).toHaveAttribute('data-count', String(n), {
      timeout,
    });
  }
}
