// Choosing a project: a text field that suggests the user's projects as they type (ARIA combobox with
// a list box), usable with the arrow keys, Enter and Escape. Projects are found by id or display name.
import { useId, useState, type KeyboardEvent } from 'react';

/** A project as the list shows it; `displayName` when the API gives one. */
export interface PickableProject {
  id: string;
  displayName?: string | null;
}

interface ProjectPickerProps {
  projects: PickableProject[];
  value: string | null;
  onChange: (projectId: string) => void;
}

const MAX_SUGGESTIONS = 50;

function matches(project: PickableProject, query: string): boolean {
  return project.id.includes(query) || (project.displayName ?? '').toLowerCase().includes(query);
}

export function ProjectPicker({ projects, value, onChange }: ProjectPickerProps) {
  const id = useId();
  const [text, setText] = useState(value ?? '');
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);

  const query = text.trim().toLowerCase();
  // Showing the chosen project's full name should not hide the others.
  const filtering = query !== '' && query !== value;
  const matching = filtering ? projects.filter((p) => matches(p, query)) : projects;
  const suggestions = matching.slice(0, MAX_SUGGESTIONS).map((p) => p.id);
  const names = new Map(projects.map((p) => [p.id, p.displayName ?? null]));
  const optionId = (index: number) => `${id}-option-${index}`;

  function choose(projectId: string) {
    setText(projectId);
    setOpen(false);
    if (projectId !== value) onChange(projectId);
  }

  function onKeyDown(event: KeyboardEvent<HTMLInputElement>) {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      if (!open) return setOpen(true);
      const step = event.key === 'ArrowDown' ? 1 : -1;
      setActive((a) => (a + step + suggestions.length) % Math.max(1, suggestions.length));
    } else if (event.key === 'Enter') {
      event.preventDefault();
      const exact = projects.find((p) => p.id === query)?.id;
      const pick = open && suggestions[active] ? suggestions[active] : exact;
      if (pick) choose(pick);
    } else if (event.key === 'Escape' && open) {
      event.preventDefault();
      setOpen(false);
      setText(value ?? '');
    }
  }

  const listOpen = open && suggestions.length > 0;
  return (
    <div className="field project-picker">
      <label htmlFor={id}>Project</label>
      <div className="combobox">
        <input
          id={id}
          type="text"
          role="combobox"
          aria-autocomplete="list"
          aria-expanded={listOpen}
          aria-controls={`${id}-list`}
          aria-activedescendant={listOpen ? optionId(active) : undefined}
          autoComplete="off"
          spellCheck={false}
          placeholder="Type to search your projects"
          value={text}
          onChange={(event) => {
            setText(event.target.value);
            setActive(0);
            setOpen(true);
          }}
          onFocus={(event) => {
            event.target.select();
            setOpen(true);
          }}
          onClick={() => setOpen(true)}
          onBlur={() => {
            setOpen(false);
            const exact = projects.find((p) => p.id === query)?.id;
            if (exact) choose(exact);
            else setText(value ?? '');
          }}
          onKeyDown={onKeyDown}
        />
        <div className="combobox-popup" hidden={!listOpen}>
          <ul id={`${id}-list`} role="listbox" aria-label="Projects" className="combobox-list">
            {suggestions.map((projectId, index) => (
              <li
                key={projectId}
                id={optionId(index)}
                role="option"
                aria-selected={index === active}
                className={projectId === value ? 'combobox-option current' : 'combobox-option'}
                // mousedown, not click: the input must not lose focus (and close the list) first.
                onMouseDown={(event) => {
                  event.preventDefault();
                  choose(projectId);
                }}
                onMouseMove={() => setActive(index)}
              >
                {projectId}
                {names.get(projectId) && names.get(projectId) !== projectId && <span className="project-name"> · {names.get(projectId)}</span>}
              </li>
            ))}
          </ul>
          {matching.length > MAX_SUGGESTIONS && (
            <p className="combobox-more" role="status">
              Showing the first {MAX_SUGGESTIONS} of {matching.length} projects. Type more of a project's id or name to narrow the list.
            </p>
          )}
        </div>
      </div>
      {open && suggestions.length === 0 && (
        <p className="field-problem" role="status">
          None of your projects matches “{text.trim()}”.
        </p>
      )}
      {!open && value && names.get(value) && names.get(value) !== value && <p className="field-help">{names.get(value)}</p>}
    </div>
  );
}
