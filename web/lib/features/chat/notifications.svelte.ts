// Desktop notifications for incoming messages while the tab is hidden. Permission is asked only from
// a button the user presses, never on load. A notification names the sender, never the message text:
// it may show on a locked screen or be kept by the operating system.
import { AppError } from '$lib/errors/app-error';

export type NotifyPermission = NotificationPermission | 'unsupported';

export class Notifier {
  permission = $state<NotifyPermission>('unsupported');

  refresh(): void {
    this.permission = typeof Notification === 'undefined' ? 'unsupported' : Notification.permission;
  }

  async request(): Promise<void> {
    if (typeof Notification === 'undefined') return;
    this.permission = await Notification.requestPermission();
    if (this.permission === 'denied')
      throw new AppError('E_NOTIFICATIONS_DENIED', 'notification permission denied');
  }

  /** Shows a notification if the tab is hidden and permission was given. */
  notify(title: string, tag: string, onClick: () => void): void {
    if (this.permission !== 'granted' || document.visibilityState !== 'hidden') return;
    const n = new Notification(title, { tag, body: 'New encrypted message' });
    n.onclick = () => {
      window.focus();
      onClick();
      n.close();
    };
  }
}
