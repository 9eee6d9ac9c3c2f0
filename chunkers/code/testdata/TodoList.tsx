import { useState } from "react";

export interface Todo {
  id: number;
  text: string;
  done: boolean;
}

type Props = { initial?: Todo[] };

// TodoList renders an editable list of todos.
export function TodoList({ initial = [] }: Props) {
  const [todos, setTodos] = useState<Todo[]>(initial);
  const toggle = (id: number) =>
    setTodos(todos.map((t) => (t.id === id ? { ...t, done: !t.done } : t)));
  return (
    <ul>
      {todos.map((t) => (
        <li key={t.id} onClick={() => toggle(t.id)}>
          {t.done ? <s>{t.text}</s> : t.text}
        </li>
      ))}
    </ul>
  );
}

export const EmptyState = () => <p>Nothing to do.</p>;
