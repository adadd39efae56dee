// The filters of an Admin view as a form: applying them changes the page's address, so that Back, reload
// and a shared link show the same list.
import { useId, type FormEvent, type ReactNode } from 'react';

export interface FilterField {
  name: string;
  label: string;
  type?: 'text' | 'date';
  /** Choices for a select; the empty one means "any". */
  options?: readonly string[];
  help?: string;
}

interface FilterFormProps {
  filters: FilterField[];
  values: Record<string, string | undefined>;
  label: string;
  onApply: (values: Record<string, string | undefined>) => void;
  children?: ReactNode;
}

export function FilterForm({ filters, values, label, onApply, children }: FilterFormProps) {
  const id = useId();
  function apply(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    onApply(Object.fromEntries(filters.map((f) => [f.name, String(data.get(f.name) ?? '').trim() || undefined])));
  }
  return (
    <form className="filters" role="search" aria-label={label} onSubmit={apply}>
      {filters.map((f) => (
        <div className="field" key={f.name}>
          <label htmlFor={`${id}-${f.name}`}>{f.label}</label>
          {f.options ? (
            <select id={`${id}-${f.name}`} name={f.name} defaultValue={values[f.name] ?? ''}>
              <option value="">Any</option>
              {f.options.map((o) => (
                <option key={o} value={o}>
                  {o}
                </option>
              ))}
            </select>
          ) : (
            <input id={`${id}-${f.name}`} name={f.name} type={f.type ?? 'text'} defaultValue={values[f.name] ?? ''} autoComplete="off" aria-describedby={f.help ? `${id}-${f.name}-help` : undefined} />
          )}
          {f.help && (
            <p id={`${id}-${f.name}-help`} className="field-help">
              {f.help}
            </p>
          )}
        </div>
      ))}
      <div className="filters-actions">
        <button type="submit" className="button button-primary">
          Apply filters
        </button>
        {children}
      </div>
    </form>
  );
}
