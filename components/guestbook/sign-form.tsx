import { LIMITS } from '@/lib/guestbook/schema';

const HINTS = {
  name: `Please enter your name (1–${LIMITS.name} characters).`,
  message: `Please enter a message (1–${LIMITS.message} characters).`,
} as const;

/** The form posts to the API as a plain HTML form, so signing works without JavaScript. */
export function SignForm({ invalid }: { invalid: string[] }) {
  const error = (field: keyof typeof HINTS) =>
    invalid.includes(field) ? (
      <p className="field-error" id={`${field}-error`}>
        {HINTS[field]}
      </p>
    ) : null;
  return (
    <form method="post" action="/api/guestbook" id="sign" aria-label="Sign the guestbook">
      <label htmlFor="name">Name</label>
      <input id="name" name="name" required autoComplete="name"
        aria-invalid={invalid.includes('name') || undefined} aria-describedby={invalid.includes('name') ? 'name-error' : undefined} />
      {error('name')}
      <label htmlFor="message">Message</label>
      <textarea id="message" name="message" required
        aria-invalid={invalid.includes('message') || undefined} aria-describedby={invalid.includes('message') ? 'message-error' : undefined} />
      {error('message')}
      <button type="submit">Sign</button>
    </form>
  );
}
