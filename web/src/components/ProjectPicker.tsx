// Choosing a project: a text field that suggests the user's projects as they type (ARIA combobox with
// a list box), usable with the arrow keys, Enter and Escape.
import { useId, useState, type KeyboardEvent } from 'react';

interface ProjectPickerProps {
  projects: string[];
  value: string | null;
  onChange: (projectId: string) => void;
}

const MAX_SUGGESTIONS = 50;

export function ProjectPicker({ projects, value, onChange }: ProjectPickerProps) {
  const id = useId();
  const [text, setText] = useState(value ?? '');
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);

  const query = text.trim().toLowerCase();
  // Showing the chosen project's full name should not hide the others.
  const filtering = query !== '' && query !== value;
  const suggestions = projects.filter((p) => !filtering || p.includes(query)).slice(0, MAX_SUGGESTIONS);
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
      const exact = projects.find((p) => p === query);
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
            const exact = projects.find((p) => p === query);
            if (exact) choose(exact);
            else setText(value ?? '');
          }}
          onKeyDown={onKeyDown}
        />
        <ul id={`${id}-list`} role="listbox" aria-label="Projects" className="combobox-list" hidden={!listOpen}>
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
            </li>
          ))}
        </ul>
      </div>
      {open && suggestions.length === 0 && (
        <p className="field-problem" role="status">
          None of your projects matches “{text.trim()}”.
        </p>
      )}
    </div>
  );
}
