// How fresh an Admin view's data is, in the server's words, with a way to read it again.

export function Freshness({ text, onReload }: { text: string; onReload: () => void }) {
  return (
    <p className="freshness">
      <span>{text}</span>{' '}
      <button type="button" className="button button-small" onClick={onReload}>
        Reload
      </button>
    </p>
  );
}
